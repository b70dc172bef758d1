package scratch

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/testsvc"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func TestProbe(t *testing.T) {
	uri := testsvc.Mongo(t)
	fmt.Println(uri)
	ctx := context.Background()
	cl, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	var hello bson.M
	cl.Database("admin").RunCommand(ctx, bson.D{{"hello", 1}}).Decode(&hello)
	fmt.Println(hello)
	db := cl.Database("probe")
	db.Drop(ctx)
	c := db.Collection("c")
	c.InsertOne(ctx, bson.D{{"_id", 1}, {"a", "x"}, {"n", bson.D{{"b", 2}}}})
	c.UpdateOne(ctx, bson.D{{"_id", 1}}, bson.D{{"$set", bson.D{{"a", "y"}}}})
	c.UpdateOne(ctx, bson.D{{"_id", 1}}, bson.D{{"$unset", bson.D{{"a", ""}}}})
	c.ReplaceOne(ctx, bson.D{{"_id", 1}}, bson.D{{"z", 3}})
	c.DeleteOne(ctx, bson.D{{"_id", 1}})
	cur, err := cl.Database("local").Collection("oplog.rs").Find(ctx, bson.D{{"ns", bson.D{{"$regex", "^probe"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for cur.Next(ctx) {
		fmt.Println(cur.Current.String())
	}
	// last entry
	var last bson.Raw
	o := cl.Database("local").Collection("oplog.rs")
	last, err = o.FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{"$natural", -1}})).Raw()
	fmt.Println("last", last, err)
	ts := last.Lookup("ts")
	fmt.Println(ts.Type)
	cs, err := c.Watch(ctx, mongo.Pipeline{})
	fmt.Println("watch", cs, err)
	// tailable
	tc, err := o.Find(ctx, bson.D{{"ts", bson.D{{"$gte", ts}}}}, options.Find().SetCursorType(options.TailableAwait).SetBatchSize(1).SetMaxAwaitTime(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	tc.SetBatchSize(500)
	go func() {
		for k := 0; k < 3; k++ {
			time.Sleep(700 * time.Millisecond)
			for j := 0; j < 50; j++ {
				c.InsertOne(ctx, bson.D{{"_id", 100*k + j}})
			}
		}
	}()
	start := time.Now()
	n := 0
	for time.Since(start) < 4*time.Second {
		if tc.TryNext(ctx) {
			n++
		} else {
			if n%10==0 {fmt.Println(time.Since(start), n, tc.ID(), tc.Err())}
		}
	}
}
