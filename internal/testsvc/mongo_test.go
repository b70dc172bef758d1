package testsvc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// TestMongoOplog writes through the MongoDB wire protocol and finds each
// write in FerretDB's oplog, which is what the MongoDB source reads.
func TestMongoOplog(t *testing.T) {
	uri := Mongo(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Disconnect(context.Background())
	dbName := fmt.Sprintf("smoke_%d", time.Now().UnixNano())
	db := cl.Database(dbName)
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	coll := db.Collection("orders")

	if _, err := coll.InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: 1}, {Key: "item", Value: "widget"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "item", Value: "gadget"}},
	}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "item", Value: "sprocket"}}}}); err != nil {
		t.Fatalf("update: %v", err)
	}
	if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: 2}}); err != nil {
		t.Fatalf("delete: %v", err)
	}

	var docs []bson.M
	cur, err := coll.Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0]["item"] != "sprocket" {
		t.Fatalf("collection holds %v, want only the updated _id 1", docs)
	}

	oplog := cl.Database("local").Collection("oplog.rs")
	cur, err = oplog.Find(ctx, bson.D{{Key: "ns", Value: dbName + ".orders"}})
	if err != nil {
		t.Fatalf("read oplog: %v", err)
	}
	var entries []bson.M
	if err := cur.All(ctx, &entries); err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for _, e := range entries {
		op, _ := e["op"].(string)
		ops[op]++
	}
	if ops["i"] != 2 || ops["u"] != 1 || ops["d"] != 1 {
		t.Fatalf("oplog ops for %s.orders = %v (entries %v), want 2 inserts, 1 update, 1 delete", dbName, ops, entries)
	}
}
