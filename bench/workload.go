package bench

import (
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// Input is one topic a workload reads, and how to make its i-th record.
// Records are generated from their index alone, so any run (and any peer
// reading a dump) sees the same data.
type Input struct {
	Topic string
	// Key is the KAFKA-format STRING key column; Columns are the value's.
	Key     string
	Columns []format.Column
	// Count returns how many records the input holds for a workload of n.
	Count func(n int) int
	// Record returns the key, value columns and timestamp of record i.
	Record func(i int) (key string, row []value.Value, ts int64)
	// Kind is the DDL keyword the source is declared with.
	Kind string
}

// Workload is one benchmark: its inputs, the persistent query over them,
// and the number of outputs a correct run writes for n records.
type Workload struct {
	Name string
	// Inputs are produced in order; a table side comes first, so a join
	// finds it complete (Sluice bootstraps tables anyway, and Kafka
	// Streams' TopologyTestDriver processes inputs in the order piped).
	Inputs []Input
	// Query is the CSAS/CTAS; %s is replaced by the value format.
	Query string
	Sink  string
	// Want returns the sink's record count for n records; Records returns
	// how many input records the throughput figure divides by.
	Want    func(n int) int
	Records func(n int) int
}

// Start of every generated timestamp: 2024-01-01T00:00:00Z.
const baseTS = 1704067200000

const customers = 10000

func customerID(i int) string { return fmt.Sprintf("c%05d", i%customers) }

// price spreads PRICE over 0.00..99.99 so "PRICE > 50" keeps about half.
func price(i int) float64 { return float64((i*7919)%10000) / 100 }

var items = []string{"apple", "banana", "cherry", "dates", "elderberry", "fig", "grape", "honeydew"}

var orderCols = []format.Column{
	{Name: "ORDERID", Type: types.BigintType},
	{Name: "ITEM", Type: types.StringType},
	{Name: "PRICE", Type: types.DoubleType},
	{Name: "QTY", Type: types.IntType},
}

// orders is keyed by customer, so the stream-table join and GROUP BY on
// the customer need no repartition in either engine.
var orders = Input{
	Topic:   "orders",
	Key:     "CUSTOMERID",
	Columns: orderCols,
	Count:   func(n int) int { return n },
	Kind:    "STREAM",
	Record: func(i int) (string, []value.Value, int64) {
		return customerID(i), []value.Value{value.Bigint(int64(i)), value.String(items[i%len(items)]),
			value.Double(price(i)), value.Int(int32(1 + i%5))}, baseTS + int64(i)
	},
}

var customerCols = []format.Column{
	{Name: "NAME", Type: types.StringType},
	{Name: "REGION", Type: types.StringType},
}

var regions = []string{"north", "south", "east", "west"}

var customersTable = Input{
	Topic:   "customers",
	Key:     "ID",
	Columns: customerCols,
	Count:   func(n int) int { return min(n, customers) },
	Kind:    "TABLE",
	Record: func(i int) (string, []value.Value, int64) {
		return customerID(i), []value.Value{value.String(fmt.Sprintf("customer %d", i)),
			value.String(regions[i%len(regions)])}, baseTS - 1000 + int64(i%1000)
	},
}

// Stream-stream join inputs: order i at baseTS+10ms*i, its shipment 5 s
// later, so with WITHIN 10 MINUTES every order finds exactly one shipment
// while state for old windows keeps expiring.
var ordersByID = Input{
	Topic: "orders_by_id",
	Key:   "ORDERID",
	Columns: []format.Column{
		{Name: "CUSTOMERID", Type: types.StringType},
		{Name: "PRICE", Type: types.DoubleType},
	},
	Count: func(n int) int { return n / 2 },
	Kind:  "STREAM",
	Record: func(i int) (string, []value.Value, int64) {
		return orderID(i), []value.Value{value.String(customerID(i)), value.Double(price(i))}, baseTS + 10*int64(i)
	},
}

var shipments = Input{
	Topic: "shipments",
	Key:   "ORDERID",
	Columns: []format.Column{
		{Name: "SHIPMENTID", Type: types.BigintType},
		{Name: "ORIGIN", Type: types.StringType},
	},
	Count: func(n int) int { return n / 2 },
	Kind:  "STREAM",
	Record: func(i int) (string, []value.Value, int64) {
		return orderID(i), []value.Value{value.Bigint(int64(i) + 1_000_000_000), value.String(regions[i%len(regions)])},
			baseTS + 10*int64(i) + 5000
	},
}

func orderID(i int) string { return fmt.Sprintf("o%08d", i) }

// ordersTable holds one row per order, keyed by the order and naming its
// customer: the left side of the foreign-key join, whose subscriptions
// and responses cross partitions through internal topics.
var ordersTable = Input{
	Topic: "orders_t",
	Key:   "ORDERID",
	Columns: []format.Column{
		{Name: "CUSTOMERID", Type: types.StringType},
		{Name: "PRICE", Type: types.DoubleType},
	},
	Count: func(n int) int { return n },
	Kind:  "TABLE",
	Record: func(i int) (string, []value.Value, int64) {
		return orderID(i), []value.Value{value.String(customerID(i)), value.Double(price(i))}, baseTS + int64(i)
	},
}

// Workloads are the benchmarks bench/run.sh and the Go benchmarks run.
var Workloads = []Workload{
	{
		Name:   "filter",
		Inputs: []Input{orders},
		Query: `CREATE STREAM out WITH (kafka_topic='out', value_format='%s') AS
  SELECT CUSTOMERID, ORDERID, ITEM, PRICE * QTY AS TOTAL FROM orders WHERE PRICE > 50.0 EMIT CHANGES;`,
		Sink: "out",
		Want: func(n int) int {
			c := 0
			for i := range n {
				if price(i) > 50 {
					c++
				}
			}
			return c
		},
		Records: func(n int) int { return n },
	},
	{
		Name:   "join",
		Inputs: []Input{customersTable, orders},
		Query: `CREATE STREAM out WITH (kafka_topic='out', value_format='%s') AS
  SELECT o.CUSTOMERID, o.ORDERID, o.PRICE, c.NAME, c.REGION
  FROM orders o JOIN customers c ON o.CUSTOMERID = c.ID EMIT CHANGES;`,
		Sink:    "out",
		Want:    func(n int) int { return n },
		Records: func(n int) int { return n },
	},
	{
		// Every order finds its customer once, whichever of the two
		// reaches the join's right side first.
		Name:   "fkjoin",
		Inputs: []Input{customersTable, ordersTable},
		Query: `CREATE TABLE out WITH (kafka_topic='out', value_format='%s') AS
  SELECT o.ORDERID, o.CUSTOMERID, o.PRICE, c.NAME, c.REGION
  FROM orders_t o JOIN customers c ON o.CUSTOMERID = c.ID EMIT CHANGES;`,
		Sink:    "out",
		Want:    func(n int) int { return n },
		Records: func(n int) int { return n },
	},
	{
		Name:   "groupby",
		Inputs: []Input{orders},
		Query: `CREATE TABLE out WITH (kafka_topic='out', value_format='%s') AS
  SELECT CUSTOMERID, COUNT(*) AS N, SUM(PRICE * QTY) AS TOTAL
  FROM orders GROUP BY CUSTOMERID EMIT CHANGES;`,
		Sink: "out",
		// Every update is emitted: Sluice does not buffer like Kafka
		// Streams' record cache, and the peer runs with the cache off.
		Want:    func(n int) int { return n },
		Records: func(n int) int { return n },
	},
	{
		Name:   "ssjoin",
		Inputs: []Input{ordersByID, shipments},
		Query: `CREATE STREAM out WITH (kafka_topic='out', value_format='%s') AS
  SELECT o.ORDERID, o.CUSTOMERID, o.PRICE, s.SHIPMENTID, s.ORIGIN
  FROM orders_by_id o JOIN shipments s WITHIN 10 MINUTES GRACE PERIOD 1 MINUTE
  ON o.ORDERID = s.ORDERID EMIT CHANGES;`,
		Sink:    "out",
		Want:    func(n int) int { return n / 2 },
		Records: func(n int) int { return n / 2 * 2 },
	},
}

// Lookup returns the named workload.
func Lookup(name string) (Workload, error) {
	for _, w := range Workloads {
		if w.Name == name {
			return w, nil
		}
	}
	return Workload{}, fmt.Errorf("bench: unknown workload %q", name)
}

// ddl declares an input as a source in the given value format.
func (in Input) ddl(valueFormat string) string {
	var cols []string
	kw := "KEY"
	if in.Kind == "TABLE" {
		kw = "PRIMARY KEY"
	}
	cols = append(cols, fmt.Sprintf("%s STRING %s", in.Key, kw))
	for _, c := range in.Columns {
		cols = append(cols, c.Name+" "+format.TypeString(c.Type))
	}
	return fmt.Sprintf("CREATE %s %s (%s) WITH (kafka_topic='%s', value_format='%s');",
		in.Kind, in.Topic, strings.Join(cols, ", "), in.Topic, valueFormat)
}

// Target is the records per core-second the issues ask Sluice to reach for
// a workload, and ksqlDB's sizing-guide figure where it gives one (zero
// where it does not).
func Target(workload, valueFormat string) (target, ksqldb float64) {
	switch workload {
	case "filter":
		if strings.EqualFold(valueFormat, format.Avro) {
			return 250_000, 49_000
		}
		return 150_000, 49_000
	case "join":
		return 75_000, 24_000
	case "groupby":
		return 40_000, 12_000
	case "ssjoin":
		return 100_000, 0
	}
	return 0, 0
}
