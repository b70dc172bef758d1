package engine_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// fkJoinScript joins orders (4 partitions) to customers (3 partitions) on
// a foreign key, INNER and LEFT. %[1]s names the run's topics.
const fkJoinScript = `
SET 'auto.offset.reset' = 'earliest';
CREATE TABLE IF NOT EXISTS customers (id BIGINT PRIMARY KEY, name STRING) WITH (kafka_topic='fk_customers_%[1]s', value_format='JSON');
CREATE TABLE IF NOT EXISTS orders (id BIGINT PRIMARY KEY, customer BIGINT, amount BIGINT) WITH (kafka_topic='fk_orders_%[1]s', value_format='JSON');
CREATE TABLE IF NOT EXISTS enriched WITH (kafka_topic='fk_inner_%[1]s') AS
  SELECT o.id AS id, o.customer AS customer, o.amount AS amount, c.name AS name FROM orders o JOIN customers c ON o.customer = c.id;
CREATE TABLE IF NOT EXISTS enriched_left WITH (kafka_topic='fk_left_%[1]s') AS
  SELECT o.id AS id, o.amount AS amount, c.name AS name FROM orders o LEFT JOIN customers c ON o.customer = c.id;
`

const (
	fkOrderParts    = 4
	fkCustomerParts = 3
)

// fkEvent is one change of either table; a nil value deletes the row.
type fkEvent struct {
	topic string
	key   int64
	value map[string]any
}

// fkWorkload is a seeded run of changes over both tables: orders that
// move between customers or lose their customer, customers renamed and
// deleted and re-created, orders deleted, in one interleaved sequence.
func fkWorkload(n int) []fkEvent {
	r := rand.New(rand.NewPCG(7, 11))
	const customers, orders = 300, 3000
	var evs []fkEvent
	for c := range int64(customers) {
		if c%5 != 0 { // some customers only appear later
			evs = append(evs, fkEvent{"customers", c, map[string]any{"NAME": fmt.Sprintf("c%d-v0", c)}})
		}
	}
	for i := 0; len(evs) < n; i++ {
		switch x := r.IntN(100); {
		case x < 55:
			v := map[string]any{"CUSTOMER": r.Int64N(customers + 20), "AMOUNT": int64(i)}
			if r.IntN(20) == 0 {
				v["CUSTOMER"] = nil
			}
			evs = append(evs, fkEvent{"orders", r.Int64N(orders), v})
		case x < 62:
			evs = append(evs, fkEvent{"orders", r.Int64N(orders), nil})
		case x < 92:
			evs = append(evs, fkEvent{"customers", r.Int64N(customers), map[string]any{"NAME": fmt.Sprintf("c-v%d", i)}})
		default:
			evs = append(evs, fkEvent{"customers", r.Int64N(customers), nil})
		}
	}
	return evs
}

// fkReference computes the final content of both join results from the
// final content of the tables, as a table join defines it.
func fkReference(evs []fkEvent) (inner, left map[int64]string) {
	orders := map[int64]map[string]any{}
	customers := map[int64]string{}
	for _, e := range evs {
		switch {
		case e.topic == "orders" && e.value == nil:
			delete(orders, e.key)
		case e.topic == "orders":
			orders[e.key] = e.value
		case e.value == nil:
			delete(customers, e.key)
		default:
			customers[e.key] = e.value["NAME"].(string)
		}
	}
	inner, left = map[int64]string{}, map[int64]string{}
	for id, o := range orders {
		amount := o["AMOUNT"].(int64)
		c, hasFK := o["CUSTOMER"].(int64)
		name, found := customers[c]
		if hasFK && found {
			inner[id] = fmt.Sprintf("%d/%d/%s", c, amount, name)
			left[id] = fmt.Sprintf("%d/%s", amount, name)
		} else {
			left[id] = fmt.Sprintf("%d/<nil>", amount)
		}
	}
	return inner, left
}

// produceFK writes events to the run's topics, keyed as KAFKA BIGINTs and
// placed by Kafka's default partitioner, each a millisecond after the last.
func produceFK(ctx context.Context, t *testing.T, lg logstore.Log, suffix string, evs []fkEvent, ts0 int) {
	t.Helper()
	for b := 0; b < len(evs); b += 1000 {
		txn, err := lg.Begin(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs[b:min(b+1000, len(evs))] {
			key := binary.BigEndian.AppendUint64(nil, uint64(e.key))
			parts := int32(fkOrderParts)
			if e.topic == "customers" {
				parts = fkCustomerParts
			}
			var val []byte
			if e.value != nil {
				if val, err = json.Marshal(e.value); err != nil {
					t.Fatal(err)
				}
			}
			rec := logstore.Record{Key: key, Value: val, Timestamp: int64(ts0 + b + i), Partition: logstore.Partition(key, parts)}
			if err := txn.Produce(ctx, "fk_"+e.topic+"_"+suffix, rec); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := txn.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// fkTable reads a join's output topic as a table: the last record of
// each key, without the keys whose last record is a tombstone.
func fkTable(t *testing.T, lg logstore.Log, topic string, inner bool) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	if _, err := lg.DescribeTopic(context.Background(), topic); err != nil {
		return out
	}
	for _, r := range readAll(t, lg, topic) {
		if len(r.Key) != 8 {
			t.Fatalf("%s: key %x is not a BIGINT", topic, r.Key)
		}
		id := int64(binary.BigEndian.Uint64(r.Key))
		if r.Value == nil {
			delete(out, id)
			continue
		}
		var v struct {
			CUSTOMER int64
			AMOUNT   int64
			NAME     *string
		}
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("%s: %s: %v", topic, r.Value, err)
		}
		name := "<nil>"
		if v.NAME != nil {
			name = *v.NAME
		}
		if inner {
			out[id] = fmt.Sprintf("%d/%d/%s", v.CUSTOMER, v.AMOUNT, name)
		} else {
			out[id] = fmt.Sprintf("%d/%s", v.AMOUNT, name)
		}
	}
	return out
}

// diffTables describes how got differs from want, briefly.
func diffTables(want, got map[int64]string) string {
	var d []string
	for k, w := range want {
		if g, ok := got[k]; !ok {
			d = append(d, fmt.Sprintf("%d: missing, want %s", k, w))
		} else if g != w {
			d = append(d, fmt.Sprintf("%d: %s, want %s", k, g, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			d = append(d, fmt.Sprintf("%d: %s, want none", k, g))
		}
	}
	sort.Strings(d)
	if len(d) > 10 {
		d = append(d[:10], fmt.Sprintf("... %d differences", len(d)))
	}
	return strings.Join(d, "\n")
}

// awaitFKTables waits until the queries have caught up with their inputs
// and both join results hold the reference content, three polls in a row.
// It fails with the difference when they never do.
func awaitFKTables(t *testing.T, lg logstore.Log, suffix string, evs []fkEvent, caughtUp func() (bool, error)) {
	t.Helper()
	wantInner, wantLeft := fkReference(evs)
	deadline := time.Now().Add(5 * time.Minute)
	settled, polls := 0, 0
	for {
		gotInner := fkTable(t, lg, "fk_inner_"+suffix, true)
		gotLeft := fkTable(t, lg, "fk_left_"+suffix, false)
		di, dl := diffTables(wantInner, gotInner), diffTables(wantLeft, gotLeft)
		// The tables are read first: a check of every input partition
		// costs more than reading them.
		idle := false
		if di == "" && dl == "" {
			start := time.Now()
			var err error
			if idle, err = caughtUp(); err != nil {
				t.Fatal(err)
			}
			t.Logf("caught up %v, checked in %v", idle, time.Since(start).Round(time.Millisecond))
		}
		if idle && di == "" && dl == "" {
			if settled++; settled == 3 {
				t.Logf("inner join: %d rows, left join: %d rows", len(gotInner), len(gotLeft))
				return
			}
		} else {
			settled = 0
		}
		if polls++; polls%10 == 0 {
			t.Logf("waiting: inner join %d of %d rows, left join %d of %d, caught up %v", len(gotInner), len(wantInner), len(gotLeft), len(wantLeft), idle)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the join results never reached the reference.\ninner join:\n%s\nleft join:\n%s", di, dl)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// runFKJoin runs the script on an engine over lg, feeding half the events
// before the queries start and half while they run.
func runFKJoin(t *testing.T, lg logstore.Log, dir, service string) {
	ctx := context.Background()
	suffix := strings.TrimSuffix(service, "_")
	for _, tp := range []struct {
		name  string
		parts int32
	}{{"fk_orders_" + suffix, fkOrderParts}, {"fk_customers_" + suffix, fkCustomerParts}} {
		if err := lg.CreateTopic(ctx, tp.name, logstore.TopicConfig{Partitions: tp.parts, Replicas: 1}); err != nil {
			t.Fatal(err)
		}
	}
	evs := fkWorkload(12_000)
	half := len(evs) / 2
	produceFK(ctx, t, lg, suffix, evs[:half], 0)

	sr, err := registry.Open(ctx, lg, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pebblestore.Open(filepath.Join(dir, "state"), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng := engine.New(engine.Options{Log: lg, State: st, Registry: engine.SchemaRegistry(sr), Functions: builtin.New(), ServiceID: service})
	defer eng.Close()
	if _, err := eng.Execute(ctx, engine.NewSession(), fmt.Sprintf(fkJoinScript, suffix)); err != nil {
		t.Fatal(err)
	}
	produceFK(ctx, t, lg, suffix, evs[half:], half)
	awaitFKTables(t, lg, suffix, evs, func() (bool, error) { return eng.CaughtUp(ctx) })
}

// TestForeignKeyJoinPartitions joins a table on 4 partitions to one on 3
// by foreign key, over 12,000 changes with foreign keys that move, right
// rows that change and go, and left rows deleted; the final join results
// equal those computed here from the final tables.
func TestForeignKeyJoinPartitions(t *testing.T) {
	dir := t.TempDir()
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	runFKJoin(t, lg, dir, "fk_")
}

// TestForeignKeyJoinPartitionsOnKafka runs the same join on the real
// broker, whose transactions carry the subscription and response topics.
func TestForeignKeyJoinPartitionsOnKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in short mode: needs the Kafka broker")
	}
	bootstrap := testsvc.Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	lg, err := kafka.Open(ctx, kafka.Options{BootstrapServers: []string{bootstrap}})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	runFKJoin(t, lg, t.TempDir(), fmt.Sprintf("fk%x_", time.Now().UnixNano()))
}

// TestCrashForeignKeyJoin kills the foreign-key joins with SIGKILL again
// and again while they work through 60,000 changes of a table on 4
// partitions and one on 3; once they finish, both results equal the
// reference, with nothing lost and no stale row left behind.
func TestCrashForeignKeyJoin(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: crash test re-executes the test binary")
	}
	dir := t.TempDir()
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tp := range []struct {
		name  string
		parts int32
	}{{"fk_orders_crash", fkOrderParts}, {"fk_customers_crash", fkCustomerParts}} {
		if err := lg.CreateTopic(ctx, tp.name, logstore.TopicConfig{Partitions: tp.parts, Replicas: 1}); err != nil {
			t.Fatal(err)
		}
	}
	evs := fkWorkload(60_000)
	produceFK(ctx, t, lg, "crash", evs, 0)
	lg.Close()
	wantInner, wantLeft := fkReference(evs)
	killUntil(t, "fkjoin", dir, func(lg logstore.Log) (bool, bool) {
		gotInner := fkTable(t, lg, "fk_inner_crash", true)
		gotLeft := fkTable(t, lg, "fk_left_crash", false)
		di, dl := diffTables(wantInner, gotInner), diffTables(wantLeft, gotLeft)
		t.Logf("after a kill: inner join %d of %d rows, left join %d of %d", len(gotInner), len(wantInner), len(gotLeft), len(wantLeft))
		done := di == "" && dl == ""
		return done, !done && (len(gotInner) > 0 || len(gotLeft) > 0)
	})
}
