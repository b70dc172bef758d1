package registry

import (
	"encoding/hex"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
)

// TestConfluentPythonClient checks the REST API against Confluent's own
// client library (confluent-kafka for Python, with its Avro serializer),
// which is what a third-party tool would use. It needs python3 with
// `pip install 'confluent-kafka[avro,schemaregistry]'`.
func TestConfluentPythonClient(t *testing.T) {
	if testing.Short() {
		t.Skip("needs python3 and confluent-kafka; skipped under -short")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 not found (install it, or run with -short): %v", err)
	}
	if out, err := exec.Command(py, "-c", "import confluent_kafka.schema_registry.avro").CombinedOutput(); err != nil {
		t.Fatalf("confluent-kafka is not installed: run pip install 'confluent-kafka[avro,schemaregistry]' (or use -short): %v\n%s", err, out)
	}
	srv := httptest.NewServer(openTestRegistry(t, newTestLog(t)).Handler())
	defer srv.Close()

	out, err := exec.Command(py, "testdata/python/client.py", srv.URL).CombinedOutput()
	t.Logf("python client:\n%s", out)
	if err != nil || !strings.Contains(string(out), "DONE") {
		t.Fatalf("python client failed: %v", err)
	}
	// What Python's serializer wrote decodes with Sluice's wire helpers.
	for _, line := range strings.Split(string(out), "\n") {
		if h, ok := strings.CutPrefix(line, "HEX "); ok {
			b, err := hex.DecodeString(h)
			if err != nil {
				t.Fatal(err)
			}
			id, rest, err := DecodeHeader(b)
			if err != nil || id != 2 || len(rest) == 0 {
				t.Fatalf("DecodeHeader(%x) = %d, %x, %v", b, id, rest, err)
			}
		}
	}
}

// TestConfluentPythonAPI drives the rest of the API a Confluent client
// reaches (testdata/python/api.py): Protobuf through the stock serializer
// and deserializer (base64 descriptors, ?format=serialized, references),
// Avro references and ?format=resolved, normalize, /config, /mode,
// deleted listings, deletes and error codes.
func TestConfluentPythonAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("needs python3 and confluent-kafka; skipped under -short")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 not found (install it, or run with -short): %v", err)
	}
	if out, err := exec.Command(py, "-c", "import confluent_kafka.schema_registry.protobuf").CombinedOutput(); err != nil {
		t.Fatalf("confluent-kafka is not installed: see services/python-requirements.txt (or use -short): %v\n%s", err, out)
	}
	srv := httptest.NewServer(openTestRegistry(t, newTestLog(t)).Handler())
	defer srv.Close()
	out, err := exec.Command(py, "testdata/python/api.py", srv.URL).CombinedOutput()
	t.Logf("python client:\n%s", out)
	if err != nil || !strings.Contains(string(out), "DONE") {
		t.Fatalf("python client failed: %v", err)
	}
}
