package elasticsearch_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/elasticsearch"
	"github.com/sluicedb/sluice/internal/connect/elasticsearch/bulk"
	"github.com/sluicedb/sluice/internal/testsvc"
)

func put(t *testing.T, task connect.SinkTask, recs ...*connect.Record) {
	t.Helper()
	ctx := context.Background()
	if err := task.Put(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := task.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTutorialShippedOrders(t *testing.T) { forEachEngine(t, testTutorialShippedOrders) }

func testTutorialShippedOrders(t *testing.T, url string) {
	tp := topic(t, url)
	// The tutorial's statement, with the test node's URL.
	task, _ := startTask(t, map[string]string{
		"connection.url": url,
		"type.name":      "kafka-connect",
		"topics":         tp,
	})
	var recs []*connect.Record
	for i, row := range tutorialRows {
		recs = append(recs, row.record(tp, int64(i)))
	}
	put(t, task, recs...)
	got := docs(t, url, elasticsearch.IndexName(tp))
	want := map[string]string{
		"22": `{"O_ORDER_ID":"22","SHIPMENT_ID":"71","CUSTOMER_ID":"7","CUSTOMER_NAME":"sue","CUSTOMER_AGE":25,"ORIGIN":"iowa","PRICE":29.71,"CURRENCY":"aud"}`,
		"17": `{"O_ORDER_ID":"17","SHIPMENT_ID":"75","CUSTOMER_ID":"5","CUSTOMER_NAME":"fred","CUSTOMER_AGE":34,"ORIGIN":"texas","PRICE":25.25,"CURRENCY":"eur"}`,
		"29": `{"O_ORDER_ID":"29","SHIPMENT_ID":"89","CUSTOMER_ID":"7","CUSTOMER_NAME":"sue","CUSTOMER_AGE":25,"ORIGIN":"california","PRICE":15.0,"CURRENCY":"aud"}`,
		"13": `{"O_ORDER_ID":"13","SHIPMENT_ID":"92","CUSTOMER_ID":"2","CUSTOMER_NAME":"bill","CUSTOMER_AGE":51,"ORIGIN":"maine","PRICE":50.5,"CURRENCY":"usd"}`,
		"15": `{"O_ORDER_ID":"15","SHIPMENT_ID":"95","CUSTOMER_ID":"5","CUSTOMER_NAME":"fred","CUSTOMER_AGE":34,"ORIGIN":"florida","PRICE":13.75,"CURRENCY":"usd"}`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d documents, want %d: %v", len(got), len(want), got)
	}
	for id, doc := range want {
		if got[id] != doc {
			t.Errorf("_id %s:\n got %s\nwant %s", id, got[id], doc)
		}
	}
	// schema.ignore=false: the mapping comes from the value schema.
	var m map[string]struct {
		Mappings struct {
			Properties map[string]struct {
				Type string `json:"type"`
			} `json:"properties"`
		} `json:"mappings"`
	}
	httpGet(t, url+"/"+elasticsearch.IndexName(tp)+"/_mapping", &m)
	props := m[elasticsearch.IndexName(tp)].Mappings.Properties
	for field, typ := range map[string]string{"O_ORDER_ID": "text", "CUSTOMER_AGE": "integer", "PRICE": "double", "ORIGIN": "text"} {
		if props[field].Type != typ {
			t.Errorf("mapping of %s is %q, want %q", field, props[field].Type, typ)
		}
	}
}

func TestKeyedUpsertsAndTombstones(t *testing.T) { forEachEngine(t, testKeyedUpsertsAndTombstones) }

func testKeyedUpsertsAndTombstones(t *testing.T, url string) {
	for _, method := range []string{"insert", "upsert"} {
		t.Run(method, func(t *testing.T) {
			tp := topic(t, url)
			task, _ := startTask(t, map[string]string{
				"connection.url":          url,
				"topics":                  tp,
				"write.method":            method,
				"behavior.on.null.values": "delete",
				"schema.ignore":           "true",
			})
			s := connect.NewStructSchema("v").Field("n", connect.Int64Schema).Field("s", connect.OptString).Build()
			rec := func(off int64, key string, n int64, str any) *connect.Record {
				v := connect.NewStruct(s)
				v.Values[0], v.Values[1] = n, str
				return &connect.Record{Topic: tp, KeySchema: connect.StringSchema, Key: key, ValueSchema: s, Value: v, Offset: off}
			}
			tomb := &connect.Record{Topic: tp, KeySchema: connect.StringSchema, Key: "b", Offset: 4}
			put(t, task, rec(0, "a", 1, "x"), rec(1, "b", 2, "y"), rec(2, "a", 3, nil), rec(3, "c", 4, "z"), tomb)
			got := docs(t, url, elasticsearch.IndexName(tp))
			want := map[string]string{"a": `{"n":3,"s":null}`, "c": `{"n":4,"s":"z"}`}
			if method == "upsert" {
				// Upserts merge, but a null is a value: s is replaced by null.
				want["a"] = `{"n":3,"s":null}`
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			// A replay of older offsets (a restart before the commit)
			// changes nothing for inserts, which carry the offset as an
			// external version.
			if method == "insert" {
				put(t, task, rec(0, "a", 1, "x"), rec(1, "b", 2, "y"))
				if got := docs(t, url, elasticsearch.IndexName(tp)); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("after replay got %v, want %v", got, want)
				}
			}
		})
	}
}

func TestKeyIgnore(t *testing.T) { forEachEngine(t, testKeyIgnore) }

func testKeyIgnore(t *testing.T, url string) {
	tp := topic(t, url)
	task, _ := startTask(t, map[string]string{"connection.url": url, "topics": tp, "key.ignore": "true"})
	var recs []*connect.Record
	for i := range 3 {
		recs = append(recs, &connect.Record{Topic: tp, Partition: 2, Offset: int64(10 + i), Value: map[string]any{"i": int64(i)}})
	}
	// A tombstone under the default behavior.on.null.values=fail, but
	// key.ignore cannot name a document, so it fails only when it is not
	// ignored; here the null value fails the task, as in Confluent.
	put(t, task, recs...)
	got := docs(t, url, elasticsearch.IndexName(tp))
	for i := range 3 {
		id := tp + "+2+" + strconv.Itoa(10+i)
		if got[id] != fmt.Sprintf(`{"i":%d}`, i) {
			t.Fatalf("got %v, want id %s", got, id)
		}
	}
	err := task.Put(context.Background(), []*connect.Record{{Topic: tp, Offset: 20}})
	if !errors.Is(err, elasticsearch.ErrNullValue) {
		t.Fatalf("tombstone under fail: %v, want ErrNullValue", err)
	}
}

func TestMalformedDocuments(t *testing.T) { forEachEngine(t, testMalformedDocuments) }

func testMalformedDocuments(t *testing.T, url string) {
	rec := func(tp string, off int64, n any) *connect.Record {
		return &connect.Record{Topic: tp, KeySchema: connect.StringSchema, Key: strconv.FormatInt(off, 10), Value: map[string]any{"n": n}, Offset: off}
	}
	t.Run("dead-letter", func(t *testing.T) {
		tp := topic(t, url)
		task, sc := startTask(t, map[string]string{
			"connection.url": url, "topics": tp,
			"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq",
		})
		put(t, task, rec(tp, 0, int64(1)))
		put(t, task, rec(tp, 1, "not a number"), rec(tp, 2, int64(2)))
		if n := count(t, url, elasticsearch.IndexName(tp)); n != 2 {
			t.Fatalf("count = %d, want 2", n)
		}
		if dl := sc.deadLettered(); len(dl) != 1 || dl[0].Offset != 1 {
			t.Fatalf("dead-lettered %v, want offset 1", dl)
		}
	})
	t.Run("fail", func(t *testing.T) {
		tp := topic(t, url)
		task, sc := startTask(t, map[string]string{"connection.url": url, "topics": tp})
		put(t, task, rec(tp, 0, int64(1)))
		ctx := context.Background()
		if err := task.Put(ctx, []*connect.Record{rec(tp, 1, "not a number")}); err != nil {
			t.Fatal(err)
		}
		err := task.Flush(ctx)
		if !errors.Is(err, bulk.ErrRejected) {
			t.Fatalf("Flush = %v, want ErrRejected", err)
		}
		var ie *bulk.ItemError
		if !errors.As(err, &ie) || !ie.Malformed {
			t.Fatalf("Flush = %v, want a malformed ItemError", err)
		}
		if len(sc.deadLettered()) != 0 {
			t.Fatal("dead-lettered under errors.tolerance=none")
		}
	})
	t.Run("ignore", func(t *testing.T) {
		tp := topic(t, url)
		task, _ := startTask(t, map[string]string{"connection.url": url, "topics": tp, "behavior.on.malformed.documents": "warn"})
		put(t, task, rec(tp, 0, int64(1)))
		put(t, task, rec(tp, 1, "not a number"), rec(tp, 2, int64(2)))
		if n := count(t, url, elasticsearch.IndexName(tp)); n != 2 {
			t.Fatalf("count = %d, want 2", n)
		}
	})
}

// TestSearchEngineOutage streams 100,000 records while the search engine
// goes away twice and comes back; the index ends with exactly the last
// version of every key and none of the deleted ones.
func TestSearchEngineOutage(t *testing.T) {
	url := testsvc.Search(t)
	relay := newOutage(t, url[len("http://"):])
	tp := topic(t, url)
	task, _ := startTask(t, map[string]string{
		"connection.url": relay.url(), "topics": tp,
		"behavior.on.null.values": "delete", "batch.size": "500", "retry.backoff.ms": "50",
	})
	const n, keys = 100_000, 40_000
	want := map[string]int{}
	ctx := context.Background()
	var batch []*connect.Record
	for i := range n {
		k := i % keys
		key := strconv.Itoa(k)
		r := syntheticShipped(k).record(tp, int64(i))
		if k%10 == 3 && i >= keys {
			r.Value, r.ValueSchema = nil, nil
			delete(want, key)
		} else {
			want[key] = i
			// The value changes with the offset, so the test sees which
			// version won.
			r.Value.(*connect.Struct).Values[0] = strconv.Itoa(i)
		}
		batch = append(batch, r)
		if len(batch) == 1000 {
			if err := task.Put(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
		switch i {
		case 30_000, 70_000:
			relay.down()
			// The restart happens in the background while Put keeps
			// going; Put blocks when the in-flight batches are full.
			go func() { time.Sleep(2 * time.Second); relay.up() }()
		}
		if i%10_000 == 9_999 {
			if err := task.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := task.Put(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := task.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	w := map[string]string{}
	for k, i := range want {
		w[k] = strconv.Itoa(i)
	}
	checkShipments(t, url, tp, keys, w)
}

// checkShipments checks that keys 0..keys-1 of topic tp's index are
// exactly want (key → SHIPMENT_ID): every surviving key carries its last
// write, and deleted keys are gone.
func checkShipments(t *testing.T, url, tp string, keys int, want map[string]string) {
	t.Helper()
	if got := count(t, url, elasticsearch.IndexName(tp)); got != len(want) {
		t.Fatalf("count = %d, want %d", got, len(want))
	}
	for from := 0; from < keys; from += 5_000 {
		var ids []string
		for k := from; k < from+5_000; k++ {
			ids = append(ids, strconv.Itoa(k))
		}
		var out struct {
			Docs []struct {
				ID     string `json:"_id"`
				Found  bool   `json:"found"`
				Source struct {
					Shipment string `json:"SHIPMENT_ID"`
				} `json:"_source"`
			} `json:"docs"`
		}
		httpPost(t, url+"/"+elasticsearch.IndexName(tp)+"/_mget?_source=SHIPMENT_ID", map[string]any{"ids": ids}, &out)
		for _, d := range out.Docs {
			w, ok := want[d.ID]
			if d.Found != ok || (ok && d.Source.Shipment != w) {
				t.Fatalf("_id %s: found=%v SHIPMENT_ID=%s, want found=%v %s", d.ID, d.Found, d.Source.Shipment, ok, w)
			}
		}
	}
}

// TestIndexCreationWaitsForServer: the search engine goes away between
// the task's start and its first record; creating the index waits for it
// instead of failing the task.
func TestIndexCreationWaitsForServer(t *testing.T) {
	url := testsvc.Search(t)
	relay := newOutage(t, url[len("http://"):])
	tp := topic(t, url)
	task, _ := startTask(t, map[string]string{"connection.url": relay.url(), "topics": tp, "retry.backoff.ms": "20"})
	relay.down()
	go func() { time.Sleep(time.Second); relay.up() }()
	put(t, task, tutorialRows[0].record(tp, 0))
	if n := count(t, url, elasticsearch.IndexName(tp)); n != 1 {
		t.Fatalf("count = %d, want 1", n)
	}
}
