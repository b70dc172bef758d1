package server_test

import (
	"context"
	"net/http"
	"testing"
)

// TestCommandSequenceNumber checks that /ksql reports a command's offset
// in the command topic as its commandSequenceNumber, as ksqlDB does, and
// accepts a request that names one it has run.
func TestCommandSequenceNumber(t *testing.T) {
	h := newHarness(t, nil)
	if err := h.eng.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, stmt := range []string{
		"CREATE STREAM a (id INT KEY, v STRING) WITH (kafka_topic='a', value_format='JSON', partitions=1);",
		"CREATE STREAM b AS SELECT id, UCASE(v) AS v FROM a;",
		"DROP STREAM b;",
	} {
		ents := h.ksql(stmt)
		if got := field(ents[0], "commandSequenceNumber"); got != float64(i) {
			t.Errorf("%s: commandSequenceNumber %v, want %d", stmt, got, i)
		}
	}
	code, out := h.post("/ksql", map[string]any{"ksql": "SHOW STREAMS;", "commandSequenceNumber": 2})
	if code != http.StatusOK {
		t.Fatalf("/ksql after command 2: %d %v", code, out)
	}
}
