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
// TestConfluentInterop puts Sluice between Confluent's own Python clients
// on the real broker, once per schema-registry format: confluent-kafka's
// producer writes with its AvroSerializer, ProtobufSerializer or
// JSONSerializer against Sluice's embedded schema registry, a persistent
// query transforms the records, and confluent-kafka's consumer reads the
// result with the matching deserializer. It needs python3 with the
// packages in services/python-requirements.txt (make pydeps).
func TestConfluentInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in short mode: needs python3 with confluent-kafka and the Kafka broker")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 not found (install it, or run with -short): %v", err)
	}
	probe := "import confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.protobuf, confluent_kafka.schema_registry.json_schema"
	if out, err := exec.Command(py, "-c", probe).CombinedOutput(); err != nil {
		t.Fatalf("confluent-kafka with avro, protobuf and json support is not installed: run make pydeps (or use -short): %v\n%s", err, out)
	}
	bootstrap := testsvc.Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := buildSluice(ctx, t)
	suffix := fmt.Sprintf("%x", time.Now().UnixNano())
	lg, err := kafka.Open(ctx, kafka.Options{BootstrapServers: []string{bootstrap}})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	srv := startServer(ctx, t, bin, bootstrap, "py"+suffix+"_")
	defer srv.stop(t)
	registry := srv.url + "/schema-registry"

	for _, tc := range []struct {
		format string
		// script and its leading arguments; the command goes first.
		script, arg string
		// nullNote is what a null note reads back as: proto3 strings
		// have no null, so Sluice reads an unset one as "" (as ksqlDB).
		nullNote *string
	}{
		{format: "AVRO", script: "sr_interop.py", arg: "avro"},
		{format: "PROTOBUF", script: "sr_interop.py", arg: "protobuf", nullNote: new(string)},
		{format: "JSON_SR", script: "sr_interop.py", arg: "json"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			name := strings.ToLower(strings.ReplaceAll(tc.format, "_", ""))
			in, out := "py_orders_"+name+"_"+suffix, "py_cheap_"+name+"_"+suffix
			if err := lg.CreateTopic(ctx, in, logstore.TopicConfig{Partitions: 2, Replicas: 1}); err != nil {
				t.Fatal(err)
			}
			python := func(cmd string, args ...string) string {
				t.Helper()
				argv := []string{"testdata/python/" + tc.script, cmd}
				if tc.arg != "" {
					argv = append(argv, tc.arg)
				}
				c := exec.CommandContext(ctx, py, append(argv, args...)...)
				b, err := c.CombinedOutput()
				if err != nil || !strings.Contains(string(b), "DONE") {
					t.Fatalf("python %s %s: %v\n%s\nserver log:\n%s", tc.script, cmd, err, b, srv.output)
				}
				return string(b)
			}
			const n = 200
			python("produce", bootstrap, registry, in, fmt.Sprint(n))

			// The input's columns come from the subject the Python
			// serializer registered, as in the tutorial.
			execute(ctx, t, srv.url, fmt.Sprintf(`
CREATE STREAM py_orders_%[1]s WITH (kafka_topic='%[2]s', value_format='%[4]s');
CREATE STREAM py_cheap_%[1]s WITH (kafka_topic='%[3]s', value_format='%[4]s') AS
  SELECT id, UCASE(item) AS item, price * 2 AS doubled, note FROM py_orders_%[1]s WHERE price > 0;
`, name, in, out, tc.format))

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
				r := row{ID: int64(i), ITEM: fmt.Sprintf("ITEM-%d", i), DOUBLED: price * 2, NOTE: tc.nullNote}
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
		})
	}
}
