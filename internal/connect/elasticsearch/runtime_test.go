package elasticsearch_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/elasticsearch"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// TestRuntimeTutorialStatement runs the tutorial's CREATE SINK CONNECTOR
// config through the connector runtime over the embedded log: the
// runtime consumes shipped_orders, converts the records and commits the
// group's offsets after the task's flush.
func TestRuntimeTutorialStatement(t *testing.T) {
	url := testsvc.Search(t)
	tp := topic(t, url)
	ctx := context.Background()
	l, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := l.CreateTopic(ctx, tp, logstore.TopicConfig{Partitions: 1, Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	txn, err := l.Begin(ctx, "producer")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tutorialRows {
		v, _ := json.Marshal(map[string]any{"SHIPMENT_ID": r.shipment, "CUSTOMER_ID": r.customer, "CUSTOMER_NAME": r.name,
			"CUSTOMER_AGE": r.age, "ORIGIN": r.origin, "PRICE": r.price, "CURRENCY": r.currency})
		if err := txn.Produce(ctx, tp, logstore.Record{Key: []byte(r.order), Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := txn.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	plugins := connect.NewPlugins()
	elasticsearch.Register(plugins)
	rt := connect.NewRuntime(connect.Options{
		Log: l, Plugins: plugins,
		KeyConverter: connect.StringConverterClass, ValueConverter: connect.JSONConverterClass,
		ConverterConfig: map[string]string{"value.converter.schemas.enable": "false"},
	})
	t.Cleanup(func() { rt.Close() })
	err = rt.Create(ctx, "enriched_writer", true, map[string]string{
		"connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
		"connection.url":  url,
		"type.name":       "kafka-connect",
		"topics":          tp,
		// The key is a plain string here, so its column name is given.
		"sluice.key.field.name": "O_ORDER_ID",
		"connection.password":   "s3cret",
	})
	if err != nil {
		t.Fatal(err)
	}
	idx := elasticsearch.IndexName(tp)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if time.Now().After(deadline) {
			st, _ := rt.Describe("enriched_writer")
			t.Fatalf("documents did not arrive: %+v", st)
		}
		if st, err := rt.Describe("enriched_writer"); err == nil && st.Records >= uint64(len(tutorialRows)) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	got := docs(t, url, idx)
	for _, r := range tutorialRows {
		var doc map[string]any
		if err := json.Unmarshal([]byte(got[r.order]), &doc); err != nil {
			t.Fatalf("_id %s: %v (%q)", r.order, err, got[r.order])
		}
		want := map[string]any{"O_ORDER_ID": r.order, "SHIPMENT_ID": r.shipment, "CUSTOMER_ID": r.customer, "CUSTOMER_NAME": r.name,
			"CUSTOMER_AGE": float64(r.age), "ORIGIN": r.origin, "PRICE": r.price, "CURRENCY": r.currency}
		if !reflect.DeepEqual(doc, want) {
			t.Errorf("_id %s:\n got %v\nwant %v", r.order, doc, want)
		}
	}
	st, err := rt.Describe("enriched_writer")
	if err != nil {
		t.Fatal(err)
	}
	if st.Config["connection.password"] != connect.Mask {
		t.Errorf("DESCRIBE shows connection.password as %q", st.Config["connection.password"])
	}
	committed, err := l.CommittedOffsets(ctx, "connect-enriched_writer", []logstore.TopicPartition{{Topic: tp}})
	if err != nil {
		t.Fatal(err)
	}
	if o := committed[logstore.TopicPartition{Topic: tp}]; o != int64(len(tutorialRows)) {
		t.Errorf("committed offset %d, want %d", o, len(tutorialRows))
	}
}
