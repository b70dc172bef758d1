// Package connecttest holds what the connector tests share: reading a
// topic back through the Avro converters the connectors wrote it with.
// Only tests import it.
package connecttest

import (
	"context"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/logstore"
)

// Record is one record of a topic, decoded to Connect data.
type Record struct {
	Offset      int64
	Key         any
	Value       any
	ValueSchema *connect.Schema
	Headers     []logstore.Header
}

// ReadAvro reads partition 0 of topic from the start until it holds n
// records or timeout passes, decoding keys and values with the Avro
// converter against reg. It returns what it read and the last fetch
// error, so the caller can say why it came up short; a record that does
// not decode fails t.
func ReadAvro(t testing.TB, lg logstore.Log, reg connect.SchemaRegistry, topic string, n int, timeout time.Duration) ([]Record, error) {
	t.Helper()
	plugins := connect.NewPlugins()
	kc, _ := plugins.Converter("key.converter", connect.AvroConverterClass)
	vc, _ := plugins.Converter("value.converter", connect.AvroConverterClass)
	keyConv, err := kc.New(nil, connect.ConverterEnv{IsKey: true, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	valConv, err := vc.New(nil, connect.ConverterEnv{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	deadline := time.Now().Add(timeout)
	tp := logstore.TopicPartition{Topic: topic}
	var out []Record
	var at int64
	for {
		recs, err := lg.Fetch(ctx, tp, at, logstore.FetchOptions{MaxWait: 50 * time.Millisecond, MaxRecords: 10000})
		if err == nil {
			for _, r := range recs {
				d := Record{Offset: r.Offset, Headers: r.Headers}
				if r.Key != nil {
					if _, d.Key, err = keyConv.ToConnect(ctx, topic, r.Key); err != nil {
						t.Fatalf("topic %s offset %d: decode key: %v", topic, r.Offset, err)
					}
				}
				if d.ValueSchema, d.Value, err = valConv.ToConnect(ctx, topic, r.Value); err != nil {
					t.Fatalf("topic %s offset %d: decode value: %v", topic, r.Offset, err)
				}
				out = append(out, d)
				at = r.Offset + 1
			}
		}
		if len(out) >= n || time.Now().After(deadline) {
			return out, err
		}
	}
}
