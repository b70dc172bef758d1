package op

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// TestOperators runs the operator goldens: records in, records out. Each
// file builds one operator chain against real Pebble stores, feeds it rows
// ("key=1 val=1,0,zero ts=10", "key=1 delete", "undo key=..."), and prints
// what reaches the end of the chain. Regenerate with -rewrite.
func TestOperators(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		db, err := pebblestore.Open(t.TempDir(), pebblestore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		tc := stream.NewTaskContext(context.Background(), "test", nil, nil)
		var out strings.Builder
		sink := Func(func(_ *stream.TaskContext, row *value.Row) error {
			out.WriteString(formatRow(row))
			out.WriteByte('\n')
			return nil
		})
		stores := 0
		store := func() state.ReadWriter {
			stores++
			st, err := db.Store(fmt.Sprintf("%s-%d", path, stores))
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		inputs := map[string]Op{}
		var currentFK *fkHarness
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "fkjoin":
				// Left rows are [key, fk, name]; right rows are [key, v].
				// The two sides meet through their internal topics, which
				// the test delivers after each input unless told to hold
				// them ("hold", then "deliver"), to replay a race.
				typ := plan.InnerJoin
				if d.HasArg("left") {
					typ = plan.LeftJoin
				}
				fk := &fkHarness{
					left: &FKJoin{Type: typ, LeftWidth: 3, RightWidth: 2, Store: store(), Next: sink, SubscriptionTopic: "subs",
						FK:        func(row *value.Row) (value.Value, error) { return row.Val[1], nil },
						Partition: func(value.Value) (int32, error) { return 0, nil }},
					right: &FKRight{Subs: store(), Right: store(), ResponseTopic: "responses"},
				}
				inputs["left"] = Func(func(tc *stream.TaskContext, row *value.Row) error {
					if err := fk.left.Process(tc, row); err != nil {
						return err
					}
					return fk.pump(tc)
				})
				inputs["right"] = Func(func(tc *stream.TaskContext, row *value.Row) error {
					if err := fk.right.Process(tc, row); err != nil {
						return err
					}
					return fk.pump(tc)
				})
				inputs["deliver"] = Func(func(tc *stream.TaskContext, _ *value.Row) error {
					fk.hold = false
					return fk.pump(tc)
				})
				currentFK = fk
				return "ok"
			case "hold":
				currentFK.hold = true
				return "ok"
			case "table-filter":
				// Passes rows whose first value column is positive.
				inputs["in"] = &Filter{Table: true, Passed: store(), Next: sink, Pred: func(row *value.Row) (value.Value, error) {
					return value.Bool(row.Val[0].AsInt64() > 0), nil
				}}
				return "ok"
			case "table-change":
				inputs["in"] = &TableChange{Store: store(), Next: sink}
				return "ok"
			case "emit-final":
				// COUNT(*) per key in tumbling or hopping windows under EMIT
				// FINAL: size, advance and grace in ms.
				var size, advance, grace int
				d.ScanArgs(t, "size", &size)
				advance = size
				if d.HasArg("advance") {
					d.ScanArgs(t, "advance", &advance)
				}
				d.ScanArgs(t, "grace", &grace)
				typ := catalog.Tumbling
				if advance != size {
					typ = catalog.Hopping
				}
				count := &function.Aggregator{
					Init: func() value.Value { return value.Bigint(0) },
					Aggregate: func(acc value.Value, _ []value.Value) (value.Value, error) {
						return value.Bigint(acc.AsInt64() + 1), nil
					},
					Map: func(acc value.Value) (value.Value, error) { return acc, nil },
				}
				inputs["in"] = &Aggregate{
					Aggs:   []AggSpec{{Name: "COUNT", Agg: count}},
					Window: &plan.WindowSpec{Type: typ, Size: int64(size), Advance: int64(advance), Grace: int64(grace)},
					Store:  store(), Suppress: store(), Final: true, Next: sink,
				}
				return "ok"
			case "flatmap":
				// Explodes every value column that holds a list.
				inputs["in"] = &FlatMap{Next: sink, Calls: []TableEval{func(row *value.Row) ([]value.Value, error) {
					return row.Val[0].Elems(), nil
				}, func(row *value.Row) ([]value.Value, error) {
					return row.Val[1].Elems(), nil
				}}}
				return "ok"
			}
			in, ok := inputs[d.Cmd]
			if !ok {
				t.Fatalf("unknown command %q", d.Cmd)
			}
			out.Reset()
			for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				if err := in.Process(tc, parseRow(t, line)); err != nil {
					return "error: " + err.Error()
				}
			}
			return out.String()
		})
	})
}

// fkHarness carries a foreign-key join's internal topics between its
// sides.
type fkHarness struct {
	left  *FKJoin
	right *FKRight
	hold  bool
}

// pump delivers subscriptions, then responses, until both topics are
// empty, as the conformance runner runs a query until it is idle.
func (h *fkHarness) pump(tc *stream.TaskContext) error {
	for !h.hold {
		subs := tc.Drain(h.left.SubscriptionTopic)
		for i := range subs {
			if err := h.right.ProcessSubscription(tc, &subs[i]); err != nil {
				return err
			}
		}
		resps := tc.Drain(h.right.ResponseTopic)
		for i := range resps {
			if err := h.left.ProcessResponse(tc, &resps[i]); err != nil {
				return err
			}
		}
		if len(subs) == 0 && len(resps) == 0 {
			return nil
		}
	}
	return nil
}

// parseRow reads "key=1 val=a,2 ts=10", "key=1 delete" or lists as
// "val=[1;2],[3]".
func parseRow(t *testing.T, line string) *value.Row {
	row := &value.Row{Val: []value.Value{}}
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "key":
			row.Key = parseValues(v)
		case "val":
			row.Val = parseValues(v)
		case "ts":
			ts, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			row.Time = ts
		case "delete":
			row.Val = nil
		case "undo":
			row.Undo = true
		default:
			t.Fatalf("bad row field %q", f)
		}
	}
	return row
}

func parseValues(s string) []value.Value {
	var out []value.Value
	for _, p := range strings.Split(s, ",") {
		out = append(out, parseValue(p))
	}
	return out
}

func parseValue(p string) value.Value {
	if strings.HasPrefix(p, "[") {
		var elems []value.Value
		if inner := strings.Trim(p, "[]"); inner != "" {
			for _, e := range strings.Split(inner, ";") {
				elems = append(elems, parseValue(e))
			}
		}
		return value.Array(elems)
	}
	if p == "null" {
		return value.Null
	}
	if n, err := strconv.ParseInt(p, 10, 64); err == nil {
		return value.Bigint(n)
	}
	return value.String(p)
}

func formatRow(row *value.Row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "key=%s", formatValues(row.Key))
	if row.Val == nil {
		b.WriteString(" delete")
	} else {
		fmt.Fprintf(&b, " val=%s", formatValues(row.Val))
	}
	if row.Undo {
		b.WriteString(" undo")
	}
	fmt.Fprintf(&b, " ts=%d", row.Time)
	if row.Window != nil {
		fmt.Fprintf(&b, " window=[%d,%d)", row.Window.Start, row.Window.End)
	}
	return b.String()
}

func formatValues(vs []value.Value) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return strings.Join(parts, ",")
}
