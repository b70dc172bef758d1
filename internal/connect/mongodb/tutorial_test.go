package mongodb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/sluicedb/sluice/internal/format"
)

var seedOrders = []any{
	bson.D{{Key: "customer_id", Value: "2"}, {Key: "order_id", Value: "13"}, {Key: "price", Value: 50.50}, {Key: "currency", Value: "usd"}, {Key: "ts", Value: "2020-04-03T11:20:00"}},
	bson.D{{Key: "customer_id", Value: "7"}, {Key: "order_id", Value: "29"}, {Key: "price", Value: 15.00}, {Key: "currency", Value: "aud"}, {Key: "ts", Value: "2020-04-02T12:36:00"}},
	bson.D{{Key: "customer_id", Value: "5"}, {Key: "order_id", Value: "17"}, {Key: "price", Value: 25.25}, {Key: "currency", Value: "eur"}, {Key: "ts", Value: "2020-04-02T17:22:00"}},
	bson.D{{Key: "customer_id", Value: "5"}, {Key: "order_id", Value: "15"}, {Key: "price", Value: 13.75}, {Key: "currency", Value: "usd"}, {Key: "ts", Value: "2020-04-03T02:55:00"}},
	bson.D{{Key: "customer_id", Value: "7"}, {Key: "order_id", Value: "22"}, {Key: "price", Value: 29.71}, {Key: "currency", Value: "aud"}, {Key: "ts", Value: "2020-04-04T00:12:00"}},
}

var seedShipments = []any{
	bson.D{{Key: "order_id", Value: "17"}, {Key: "shipment_id", Value: "75"}, {Key: "origin", Value: "texas"}, {Key: "ts", Value: "2020-04-02T19:20:00"}},
	bson.D{{Key: "order_id", Value: "22"}, {Key: "shipment_id", Value: "71"}, {Key: "origin", Value: "iowa"}, {Key: "ts", Value: "2020-04-04T01:02:00"}},
	bson.D{{Key: "order_id", Value: "29"}, {Key: "shipment_id", Value: "89"}, {Key: "origin", Value: "california"}, {Key: "ts", Value: "2020-04-02T13:11:00"}},
	bson.D{{Key: "order_id", Value: "13"}, {Key: "shipment_id", Value: "92"}, {Key: "origin", Value: "maryland"}, {Key: "ts", Value: "2020-04-03T12:23:00"}},
	bson.D{{Key: "order_id", Value: "15"}, {Key: "shipment_id", Value: "95"}, {Key: "origin", Value: "florida"}, {Key: "ts", Value: "2020-04-04T01:13:00"}},
}

// TestTutorial runs the seed's logistics_reader connector as written
// (host and credentials aside): the 5 orders and 5 shipments arrive on
// their topics, and ksqlDB's inference over the registered Avro schema
// gives the orders stream the columns the tutorial relies on.
func TestTutorial(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.db.Collection("orders").InsertMany(ctx, seedOrders); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Collection("shipments").InsertMany(ctx, seedShipments[:3]); err != nil {
		t.Fatal(err)
	}
	e.create("logistics_reader", map[string]string{
		"connector.class":    "io.debezium.connector.mongodb.MongoDbConnector",
		"mongodb.hosts":      e.hosts,
		"mongodb.name":       "my-replica-set",
		"mongodb.authsource": "admin",
		"database.history.kafka.bootstrap.servers": "broker:9092",
		"database.history.kafka.topic":             "logistics",
		"collection.whitelist":                     e.dbName + ".*",
		"transforms":                               "unwrap",
		"transforms.unwrap.type":                   "io.debezium.connector.mongodb.transforms.ExtractNewDocumentState",
		"transforms.unwrap.drop.tombstones":        "false",
		"transforms.unwrap.delete.handling.mode":   "drop",
		"transforms.unwrap.operation.header":       "true",
	})
	// Two shipments arrive after the snapshot, through the oplog.
	orders := e.read(e.topic("orders"), 5, 30*time.Second)
	if _, err := e.db.Collection("shipments").InsertMany(ctx, seedShipments[3:]); err != nil {
		t.Fatal(err)
	}
	shipments := e.read(e.topic("shipments"), 5, 30*time.Second)

	var got []string
	for _, d := range orders {
		got = append(got, row(d.value))
	}
	want := "customer_id=2 order_id=13 price=50.5 currency=usd ts=2020-04-03T11:20:00|" +
		"customer_id=7 order_id=29 price=15 currency=aud ts=2020-04-02T12:36:00|" +
		"customer_id=5 order_id=17 price=25.25 currency=eur ts=2020-04-02T17:22:00|" +
		"customer_id=5 order_id=15 price=13.75 currency=usd ts=2020-04-03T02:55:00|" +
		"customer_id=7 order_id=22 price=29.71 currency=aud ts=2020-04-04T00:12:00"
	if strings.Join(got, "|") != want {
		t.Fatalf("orders:\n got  %s\n want %s", strings.Join(got, "|"), want)
	}
	var ops []string
	for _, d := range shipments {
		ops = append(ops, field(d.value, "shipment_id"))
		for _, h := range d.hdrs {
			if h.Key == "__debezium-operation" {
				ops = append(ops, string(h.Value))
			}
		}
	}
	if want := "75 r 71 r 89 r 92 c 95 c"; strings.Join(ops, " ") != want {
		t.Fatalf("shipments with operation headers: got %v, want %s", ops, want)
	}
	if k := field(orders[0].key, "id"); !strings.HasPrefix(k, `{"$oid": "`) {
		t.Fatalf("key id %s, want the ObjectId as JSON", k)
	}

	inf, err := format.InferColumns(ctx, format.FromRegistry(e.reg), "AVRO", nil, e.topic("orders"), false, format.WrapDefault)
	if err != nil {
		t.Fatalf("infer: %v", err)
	}
	var cols []string
	for _, c := range inf.Columns {
		cols = append(cols, c.Name+" "+c.Type.String())
	}
	if want := "_ID STRING, CUSTOMER_ID STRING, ORDER_ID STRING, PRICE DOUBLE, CURRENCY STRING, TS STRING"; strings.Join(cols, ", ") != want {
		t.Fatalf("inferred columns: got %s, want %s", strings.Join(cols, ", "), want)
	}
}
