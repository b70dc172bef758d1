package mongodb

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/mongodb/bsonx"
)

// TestUnwrapOffline runs recorded events (oplog entries or change-stream
// events, as canonical extended JSON) through the envelope builder and the
// ExtractNewDocumentState transform configured by the command's
// arguments, without a server: it covers what FerretDB cannot produce
// (decimal128, change streams, $v 2 diffs).
//
//	oplog|change [transform.key=value ...]
//	<event JSON>
func TestUnwrapOffline(t *testing.T) {
	datadriven.RunTest(t, "testdata/unwrap", func(t *testing.T, d *datadriven.TestData) string {
		var raw bson.Raw
		if err := bson.UnmarshalExtJSON([]byte(d.Input), true, &raw); err != nil {
			t.Fatalf("input: %v", err)
		}
		var evs []bsonx.Event
		switch d.Cmd {
		case "oplog":
			if err := bsonx.DecodeOplog(raw, func(ev bsonx.Event) error { evs = append(evs, ev); return nil }); err != nil {
				return "error: " + err.Error() + "\n"
			}
		case "change":
			ev, ok, err := bsonx.DecodeChange(raw)
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			if ok {
				evs = append(evs, ev)
			}
		default:
			t.Fatalf("unknown command %s", d.Cmd)
		}
		tcfg := map[string]string{}
		for _, a := range d.CmdArgs {
			tcfg[a.Key] = strings.Join(a.Vals, ",")
		}
		cfg, err := unwrapSpec.Validate(tcfg)
		if err != nil {
			return "error: " + err.Error() + "\n"
		}
		tr, err := newUnwrap(cfg)
		if err != nil {
			t.Fatal(err)
		}
		b := &builder{cfg: &config{prefix: "my-replica-set", tombstones: true}, rs: "rs0", schemas: schemaCache{prefix: "my-replica-set"}, now: func() int64 { return 0 }}
		var recs []*connect.Record
		for i := range evs {
			if recs, err = b.records(recs, &evs[i], nil, nil, ""); err != nil {
				return "error: " + err.Error() + "\n"
			}
		}
		var out strings.Builder
		for _, r := range recs {
			fmt.Fprintf(&out, "topic=%s key=%s\n", r.Topic, r.Key.(*connect.Struct).Get("id"))
			u, err := tr.Apply(r)
			switch {
			case err != nil:
				fmt.Fprintf(&out, "  error: %v\n", err)
				continue
			case u == nil:
				out.WriteString("  dropped\n")
				continue
			}
			for _, h := range u.Headers {
				fmt.Fprintf(&out, "  header %s=%v\n", h.Key, h.Value)
			}
			if u.Value == nil {
				out.WriteString("  value null\n")
				continue
			}
			st := u.Value.(*connect.Struct)
			fmt.Fprintf(&out, "  schema %s\n", st.Schema.Name)
			describeStruct(&out, st, "  ")
		}
		return out.String()
	})
}

func describeStruct(out *strings.Builder, st *connect.Struct, indent string) {
	for i, f := range st.Schema.Fields {
		v := st.Values[i]
		fmt.Fprintf(out, "%s%s %s = ", indent, f.Name, typeName(f.Schema))
		switch x := v.(type) {
		case *connect.Struct:
			out.WriteString("\n")
			describeStruct(out, x, indent+"  ")
			continue
		case time.Time:
			out.WriteString(x.UTC().Format(time.RFC3339Nano))
		case []any:
			var parts []string
			for _, el := range x {
				if s, ok := el.(*connect.Struct); ok {
					var b strings.Builder
					for j, ef := range s.Schema.Fields {
						fmt.Fprintf(&b, "%s:%v ", ef.Name, s.Values[j])
					}
					parts = append(parts, "{"+strings.TrimSpace(b.String())+"}")
					continue
				}
				parts = append(parts, fmt.Sprint(el))
			}
			out.WriteString("[" + strings.Join(parts, " ") + "]")
		default:
			fmt.Fprint(out, v)
		}
		out.WriteString("\n")
	}
}

func typeName(s *connect.Schema) string {
	switch {
	case s.Type == connect.Array:
		return "array<" + typeName(s.Elem) + ">"
	case s.Name != "" && s.Type != connect.StructType:
		return s.Type.String() + "(" + s.Name[strings.LastIndexByte(s.Name, '.')+1:] + ")"
	}
	return s.Type.String()
}
