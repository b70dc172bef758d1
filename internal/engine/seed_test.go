package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// newEngine assembles an engine on a fresh embedded log, registry and
// state, driven synchronously.
func newEngine(t *testing.T) (*engine.Engine, logstore.Log, format.Registry) {
	t.Helper()
	dir := t.TempDir()
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	sr, err := registry.Open(context.Background(), lg, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pebblestore.Open(filepath.Join(dir, "state"), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := engine.SchemaRegistry(sr)
	eng := engine.New(engine.Options{Log: lg, State: st, Registry: reg, Functions: builtin.New(), Manual: true})
	t.Cleanup(func() { eng.Close() })
	return eng, lg, reg
}

// produceAvro writes rows to topic with an Avro value schema generated
// from cols, as a Debezium connector with the Avro converter would.
func produceAvro(t *testing.T, lg logstore.Log, reg format.Registry, topic string, cols []format.Column, rows [][]value.Value, ts []int64) {
	t.Helper()
	ctx := context.Background()
	if err := lg.CreateTopic(ctx, topic, logstore.TopicConfig{Partitions: 1, Replicas: 1}); err != nil && !strings.Contains(err.Error(), "exists") {
		t.Fatal(err)
	}
	f, err := format.New(format.Avro, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	ser, err := f.Serializer(ctx, format.Target{Topic: topic, Columns: cols})
	if err != nil {
		t.Fatal(err)
	}
	txn, err := lg.Begin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		b, err := ser.Serialize(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := txn.Produce(ctx, topic, logstore.Record{Value: b, Timestamp: ts[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := txn.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSeedPipeline runs the tutorial's statements, from the three source
// streams to shipped_orders, on records shaped as the tutorial's
// connectors write them, and checks the five documents it shows.
func TestSeedPipeline(t *testing.T) {
	// The tutorial joins with ksqlDB 0.8's c.ROWKEY; today's spelling
	// names the key column, c.id. Both must give the same documents.
	for _, spelling := range []string{"c.ROWKEY", "c.id"} {
		t.Run(spelling, func(t *testing.T) { testSeedPipeline(t, spelling) })
	}
}

func testSeedPipeline(t *testing.T, joinKey string) {
	eng, lg, reg := newEngine(t)
	ctx := context.Background()
	s := value.String
	str := types.StringType
	// Customers carry the capture time; orders and shipments 2020 times.
	produceAvro(t, lg, reg, "customers.public.customers",
		[]format.Column{{Name: "id", Type: str}, {Name: "name", Type: str}, {Name: "age", Type: types.IntType}, {Name: "__deleted", Type: str}},
		[][]value.Value{{s("5"), s("fred"), value.Int(34), s("false")}, {s("7"), s("sue"), value.Int(25), s("false")}, {s("2"), s("bill"), value.Int(51), s("false")}},
		[]int64{1700000000000, 1700000000001, 1700000000002})
	orderCols := []format.Column{{Name: "_id", Type: str}, {Name: "customer_id", Type: str}, {Name: "order_id", Type: str}, {Name: "price", Type: types.DoubleType}, {Name: "currency", Type: str}, {Name: "ts", Type: str}}
	produceAvro(t, lg, reg, "my-replica-set.logistics.orders", orderCols, [][]value.Value{
		{s("a"), s("2"), s("13"), value.Double(50.50), s("usd"), s("2020-04-03T11:20:00")},
		{s("b"), s("7"), s("29"), value.Double(15.00), s("aud"), s("2020-04-02T12:36:00")},
		{s("c"), s("5"), s("17"), value.Double(25.25), s("eur"), s("2020-04-02T17:22:00")},
		{s("d"), s("5"), s("15"), value.Double(13.75), s("usd"), s("2020-04-03T02:55:00")},
		{s("e"), s("7"), s("22"), value.Double(29.71), s("aud"), s("2020-04-04T00:12:00")},
	}, []int64{1700000000100, 1700000000101, 1700000000102, 1700000000103, 1700000000104})
	shipCols := []format.Column{{Name: "_id", Type: str}, {Name: "order_id", Type: str}, {Name: "shipment_id", Type: str}, {Name: "origin", Type: str}, {Name: "ts", Type: str}}
	produceAvro(t, lg, reg, "my-replica-set.logistics.shipments", shipCols, [][]value.Value{
		{s("f"), s("17"), s("75"), s("texas"), s("2020-04-04T19:20:00")},
		{s("g"), s("22"), s("71"), s("iowa"), s("2020-04-04T12:25:00")},
		{s("h"), s("29"), s("89"), s("california"), s("2020-04-05T13:21:00")},
		{s("i"), s("13"), s("92"), s("maine"), s("2020-04-04T06:13:00")},
		{s("j"), s("15"), s("95"), s("florida"), s("2020-04-04T01:13:00")},
	}, []int64{1700000000200, 1700000000201, 1700000000202, 1700000000203, 1700000000204})

	// The tutorial's statements, less its connectors: the records above
	// stand in for what they capture.
	b, err := os.ReadFile(filepath.Join("..", "..", "demo", "tutorial.sql"))
	if err != nil {
		t.Fatal(err)
	}
	sess := engine.NewSession()
	script := strings.ReplaceAll(string(b), "c.ROWKEY", joinKey)
	for _, seg := range parser.Split(script) {
		if strings.Contains(strings.ToUpper(seg.Text), " CONNECTOR ") {
			continue
		}
		if _, err := eng.Execute(ctx, sess, seg.Text); err != nil {
			t.Fatalf("%s\n%v", seg.Text, err)
		}
	}
	if err := eng.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	src, ok := eng.Catalog().Source("SHIPPED_ORDERS")
	if !ok {
		t.Fatal("no SHIPPED_ORDERS")
	}
	if got, want := src.Schema.String(), "`O_ORDER_ID` STRING KEY, `SHIPMENT_ID` STRING, `CUSTOMER_ID` STRING, `CUSTOMER_NAME` STRING, `CUSTOMER_AGE` INTEGER, `ORIGIN` STRING, `PRICE` DOUBLE, `CURRENCY` STRING"; got != want {
		t.Fatalf("schema:\n got %s\nwant %s", got, want)
	}
	recs := readAll(t, lg, "shipped_orders")
	f, err := format.New(format.Avro, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	var vcols []format.Column
	for _, c := range src.Schema.ValueOnly() {
		vcols = append(vcols, format.Column{Name: c.Name, Type: c.Type})
	}
	de, err := f.Deserializer(ctx, format.Target{Topic: "shipped_orders", Columns: vcols})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		row, err := de.Deserialize(r.Value, nil)
		if err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(format.RowToJSON(vcols, row, false))
		got = append(got, string(r.Key)+" "+string(j))
	}
	sort.Strings(got)
	want := []string{
		`13 {"CURRENCY":"usd","CUSTOMER_AGE":51,"CUSTOMER_ID":"2","CUSTOMER_NAME":"bill","ORIGIN":"maine","PRICE":50.5,"SHIPMENT_ID":"92"}`,
		`15 {"CURRENCY":"usd","CUSTOMER_AGE":34,"CUSTOMER_ID":"5","CUSTOMER_NAME":"fred","ORIGIN":"florida","PRICE":13.75,"SHIPMENT_ID":"95"}`,
		`17 {"CURRENCY":"eur","CUSTOMER_AGE":34,"CUSTOMER_ID":"5","CUSTOMER_NAME":"fred","ORIGIN":"texas","PRICE":25.25,"SHIPMENT_ID":"75"}`,
		`22 {"CURRENCY":"aud","CUSTOMER_AGE":25,"CUSTOMER_ID":"7","CUSTOMER_NAME":"sue","ORIGIN":"iowa","PRICE":29.71,"SHIPMENT_ID":"71"}`,
		`29 {"CURRENCY":"aud","CUSTOMER_AGE":25,"CUSTOMER_ID":"7","CUSTOMER_NAME":"sue","ORIGIN":"california","PRICE":15,"SHIPMENT_ID":"89"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("shipped_orders:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

func readAll(t *testing.T, lg logstore.Log, topic string) []logstore.Record {
	t.Helper()
	ctx := context.Background()
	info, err := lg.DescribeTopic(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var out []logstore.Record
	for p := int32(0); p < info.Partitions; p++ {
		tp := logstore.TopicPartition{Topic: topic, Partition: p}
		offs, _ := lg.ListOffsets(ctx, tp)
		for off := offs.Start; off < offs.End; {
			recs, err := lg.Fetch(ctx, tp, off, logstore.FetchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) == 0 {
				break
			}
			out = append(out, recs...)
			off = recs[len(recs)-1].Offset + 1
		}
	}
	return out
}
