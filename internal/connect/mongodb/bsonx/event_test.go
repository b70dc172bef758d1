package bsonx

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestDecode runs recorded oplog entries (FerretDB's and MongoDB's) and
// change-stream events (MongoDB 6's, as the server sends them) through the
// decoders. The input is canonical extended JSON.
func TestDecode(t *testing.T) {
	datadriven.RunTest(t, "testdata/decode", func(t *testing.T, d *datadriven.TestData) string {
		var raw bson.Raw
		if err := bson.UnmarshalExtJSON([]byte(d.Input), true, &raw); err != nil {
			t.Fatalf("input: %v", err)
		}
		var out strings.Builder
		switch d.Cmd {
		case "oplog":
			err := DecodeOplog(raw, func(ev Event) error {
				out.WriteString(describe(t, ev))
				return nil
			})
			if err != nil {
				fmt.Fprintf(&out, "error: %v\n", err)
			}
		case "change":
			ev, ok, err := DecodeChange(raw)
			switch {
			case err != nil:
				fmt.Fprintf(&out, "error: %v\n", err)
			case !ok:
				out.WriteString("skipped\n")
			default:
				out.WriteString(describe(t, ev))
			}
		default:
			t.Fatalf("unknown command %s", d.Cmd)
		}
		return out.String()
	})
}

func describe(t *testing.T, ev Event) string {
	var b strings.Builder
	id, err := AppendValueJSON(nil, ev.IDType, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%s %s.%s id=%s ts=%d:%d ord=%d\n", ev.Op, ev.DB, ev.Coll, id, ev.TS.T, ev.TS.I, ev.Ord)
	for _, f := range []struct {
		name string
		doc  []byte
	}{{"doc", ev.Doc}, {"before", ev.Before}, {"patch", ev.Patch}, {"filter", ev.Filter}, {"updated", ev.Updated}, {"token", ev.Token}} {
		if f.doc == nil {
			continue
		}
		js, err := AppendJSON(nil, f.doc)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "  %s: %s\n", f.name, js)
	}
	if ev.Removed != nil {
		fmt.Fprintf(&b, "  removed: %v\n", ev.Removed)
	}
	return b.String()
}
