package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// TestConfluentAvroInterop puts Sluice between Confluent's own Python
// clients on the real broker: confluent-kafka's producer writes Avro with
// its AvroSerializer against Sluice's embedded schema registry, a
// persistent query transforms the records, and confluent-kafka's consumer
// reads the result with its AvroDeserializer. It needs python3 with the
// packages in services/python-requirements.txt (make pydeps).
func TestConfluentAvroInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in short mode: needs python3 with confluent-kafka and the Kafka broker")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 not found (install it, or run with -short): %v", err)
	}
	if out, err := exec.Command(py, "-c", "import confluent_kafka.schema_registry.avro").CombinedOutput(); err != nil {
		t.Fatalf("confluent-kafka is not installed: run make pydeps (or use -short): %v\n%s", err, out)
	}
	bootstrap := testsvc.Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := buildSluice(ctx, t)
	suffix := fmt.Sprintf("%x", time.Now().UnixNano())
	in, out := "py_orders_"+suffix, "py_cheap_"+suffix
	lg, err := kafka.Open(ctx, kafka.Options{BootstrapServers: []string{bootstrap}})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	if err := lg.CreateTopic(ctx, in, logstore.TopicConfig{Partitions: 2, Replicas: 1}); err != nil {
		t.Fatal(err)
	}

	srv := startServer(ctx, t, bin, bootstrap, "py"+suffix+"_")
	defer srv.stop(t)
	registry := srv.url + "/schema-registry"
	const n = 200
	python := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, py, append([]string{"testdata/python/avro_interop.py"}, args...)...)
		b, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(b), "DONE") {
			t.Fatalf("python %s: %v\n%s\nserver log:\n%s", args[0], err, b, srv.output)
		}
		return string(b)
	}
	python("produce", bootstrap, registry, in, fmt.Sprint(n))

	// The input's columns come from the subject the Python serializer
	// registered, as in the tutorial.
	execute(ctx, t, srv.url, fmt.Sprintf(`
CREATE STREAM py_orders WITH (kafka_topic='%s', value_format='AVRO');
CREATE STREAM py_cheap WITH (kafka_topic='%s', value_format='AVRO') AS
  SELECT id, UCASE(item) AS item, price * 2 AS doubled, note FROM py_orders WHERE price > 0;
`, in, out))

	type row struct {
		ID      int64
		ITEM    string
		DOUBLED float64
		NOTE    *string
	}
	var want []row
	for i := range n {
		price := float64(i)*1.5 - 10
		if price <= 0 {
			continue
		}
		r := row{ID: int64(i), ITEM: fmt.Sprintf("ITEM-%d", i), DOUBLED: price * 2}
		if i%3 != 0 {
			note := fmt.Sprintf("n%d", i)
			r.NOTE = &note
		}
		want = append(want, r)
	}
	got := python("consume", bootstrap, registry, out, fmt.Sprint(len(want)))
	var rows []row
	for _, line := range strings.Split(got, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var r row
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("consumer line %q: %v", line, err)
		}
		rows = append(rows, r)
	}
	if len(rows) != len(want) {
		t.Fatalf("the Python consumer read %d records, want %d:\n%s", len(rows), len(want), got)
	}
	for i := range want {
		w, g := want[i], rows[i]
		if g.ID != w.ID || g.ITEM != w.ITEM || g.DOUBLED != w.DOUBLED || (g.NOTE == nil) != (w.NOTE == nil) ||
			(g.NOTE != nil && *g.NOTE != *w.NOTE) {
			t.Errorf("record %d: Python read %+v, want %+v", i, g, w)
		}
	}
}
