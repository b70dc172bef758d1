package mongodb

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/mongodb/bsonx"
	"github.com/sluicedb/sluice/internal/connect/mongodb/capture"
)

// TestFieldExclude checks field.exclude.list against the collections its
// entries name, with * for any database or collection.
func TestFieldExclude(t *testing.T) {
	c, err := Spec.Validate(map[string]string{"mongodb.hosts": "h:1", "topic.prefix": "p",
		"field.exclude.list": "logistics.orders.secret, *.*.address.zip, other.orders.price"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: int32(1)}, {Key: "secret", Value: "s"}, {Key: "price", Value: 1.5},
		{Key: "address", Value: bson.D{{Key: "zip", Value: "z"}, {Key: "city", Value: "c"}}}})
	b := &builder{cfg: cfg, schemas: schemaCache{prefix: "p"}, now: func() int64 { return 0 }}
	for _, tc := range []struct{ coll, want string }{
		{"orders", `{"_id": 1, "price": 1.5, "address": {"city": "c"}}`},
		{"shipments", `{"_id": 1, "secret": "s", "price": 1.5, "address": {"city": "c"}}`},
	} {
		ev := bsonx.Event{Op: bsonx.OpCreate, DB: "logistics", Coll: tc.coll, IDType: bsonx.TypeInt32, ID: []byte{1, 0, 0, 0}, Doc: doc}
		recs, err := b.records(nil, &ev, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := recs[0].Value.(*connect.Struct).Get("after"); got != tc.want {
			t.Errorf("%s: after %v, want %s", tc.coll, got, tc.want)
		}
	}
}

// TestOffsets checks that a stored offset reads back as the position and
// snapshot state it was written from, including after the JSON round trip
// the runtime's offset store makes (numbers come back as float64).
func TestOffsets(t *testing.T) {
	tok, _ := bson.Marshal(bson.D{{Key: "_data", Value: "8265"}})
	for _, tc := range []struct {
		name     string
		off      map[string]any
		snapDone bool
	}{
		{"streaming", offsetOf(posOf(7, 3, 1, nil), false), true},
		{"snapshot", offsetOf(posOf(7, 3, 0, nil), true), false},
		{"token", offsetOf(posOf(0, 0, 0, tok), false), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asJSON := map[string]any{}
			for k, v := range tc.off {
				if n, ok := v.(int64); ok {
					asJSON[k] = float64(n)
				} else {
					asJSON[k] = v
				}
			}
			r, err := readOffset(asJSON)
			if err != nil {
				t.Fatal(err)
			}
			back := offsetOf(r.pos, !r.snapshotDone)
			for k, v := range tc.off {
				if back[k] != v {
					t.Fatalf("%s: %v, want %v", k, back[k], v)
				}
			}
			if !r.found || r.snapshotDone != tc.snapDone {
				t.Fatalf("found %v snapshotDone %v", r.found, r.snapshotDone)
			}
		})
	}
}

func posOf(sec, ord uint32, txOrd int, token []byte) capture.Position {
	return capture.Position{TS: bsonx.Timestamp{T: sec, I: ord}, Ord: txOrd, Token: token}
}
