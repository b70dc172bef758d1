package capture

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sluicedb/sluice/internal/connect/mongodb/bsonx"
	"github.com/sluicedb/sluice/internal/testsvc"
)

func connect(t *testing.T) (*mongo.Client, string) {
	t.Helper()
	cl, err := mongo.Connect(options.Client().ApplyURI(testsvc.Mongo(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Disconnect(context.Background()) })
	db := fmt.Sprintf("capture_%d", time.Now().UnixNano())
	t.Cleanup(func() { _ = cl.Database(db).Drop(context.Background()) })
	return cl, db
}

func read(t *testing.T, ctx context.Context, r Reader, n int, within time.Duration) []bsonx.Event {
	t.Helper()
	var got []bsonx.Event
	deadline := time.Now().Add(within)
	for len(got) < n && time.Now().Before(deadline) {
		evs, err := r.Next(ctx, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, evs...)
	}
	return got
}

func idOf(t *testing.T, ev bsonx.Event) string {
	js, err := bsonx.AppendValueJSON(nil, ev.IDType, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Op.String() + string(js)
}

// TestSnapshotThenStream takes a snapshot of a collection, writes more
// after the position is recorded, and checks that snapshot and stream
// together hold every change once, in order.
func TestSnapshotThenStream(t *testing.T) {
	{
		{
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cl, db := connect(t)
			orders := cl.Database(db).Collection("orders")
			for i := range 5 {
				if _, err := orders.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "n", Value: i}}); err != nil {
					t.Fatal(err)
				}
			}
			f, err := NewFilter(FilterLists{CollInclude: []string{db + `\..*`}})
			if err != nil {
				t.Fatal(err)
			}
			src, err := Open(ctx, cl, Options{Filter: f, BatchSize: 3})
			if err != nil {
				t.Fatal(err)
			}
			if src.Mode() != ModeOplog || !src.FerretDB() {
				t.Fatalf("mode %s ferret %v, want the oplog on FerretDB", src.Mode(), src.FerretDB())
			}
			pos, err := src.Current(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sn, err := src.Snapshot(ctx, pos)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := orders.InsertOne(ctx, bson.D{{Key: "_id", Value: 5}}); err != nil {
				t.Fatal(err)
			}
			var snap []string
			for {
				evs, done, err := sn.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, ev := range evs {
					snap = append(snap, idOf(t, ev))
				}
				if done {
					break
				}
			}
			if len(snap) < 5 {
				t.Fatalf("snapshot read %v", snap)
			}
			if _, err := orders.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: 10}}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := orders.DeleteOne(ctx, bson.D{{Key: "_id", Value: 2}}); err != nil {
				t.Fatal(err)
			}
			r, err := src.Stream(ctx, pos)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close(ctx)
			var stream []string
			for _, ev := range read(t, ctx, r, 3, 20*time.Second) {
				stream = append(stream, idOf(t, ev))
			}
			if want := "[c5 u1 d2]"; fmt.Sprint(stream) != want {
				t.Fatalf("stream %v, want %s", stream, want)
			}
			// Nothing more arrives, and a restart from the reader's
			// position sees nothing again.
			if more := read(t, ctx, r, 1, time.Second); len(more) != 0 {
				t.Fatalf("stream repeated %v", more)
			}
			r2, err := src.Stream(ctx, r.Position())
			if err != nil {
				t.Fatal(err)
			}
			defer r2.Close(ctx)
			if _, err := orders.InsertOne(ctx, bson.D{{Key: "_id", Value: 6}}); err != nil {
				t.Fatal(err)
			}
			got := read(t, ctx, r2, 1, 20*time.Second)
			if len(got) != 1 || idOf(t, got[0]) != "c6" {
				t.Fatalf("resumed stream %v", got)
			}
		}
	}
}

func TestFilter(t *testing.T) {
	f, err := NewFilter(FilterLists{CollInclude: []string{`logistics.*`}, CollExclude: []string{`logistics\.secret`}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		db, coll string
		want     bool
	}{
		{"logistics", "orders", true},
		{"logistics", "secret", false},
		{"logistics", "system.views", false},
		{"other", "orders", false},
		{"local", "oplog.rs", false},
	} {
		if got := f.Collection(tc.db, tc.coll); got != tc.want {
			t.Errorf("%s.%s: got %v want %v", tc.db, tc.coll, got, tc.want)
		}
	}
	if _, err := NewFilter(FilterLists{DBInclude: []string{"("}}); err == nil {
		t.Fatal("bad pattern accepted")
	}
}
