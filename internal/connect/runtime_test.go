package connect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
)

// counterSource emits n numbered records, one per Poll, with the count as
// its offset, and resumes from the stored offset.
type counterSource struct {
	n, next int
	sc      SourceContext
	fail    *int // fail once when next reaches *fail
}

var counterPartition = map[string]any{"counter": "c"}

func (s *counterSource) Start(ctx context.Context, sc SourceContext) error {
	off, err := sc.Offset(ctx, counterPartition)
	if err != nil {
		return err
	}
	if off != nil {
		s.next = int(off["next"].(float64))
	}
	return nil
}

func (s *counterSource) Poll(ctx context.Context) ([]*Record, error) {
	if s.next >= s.n {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if s.fail != nil && *s.fail == s.next {
		*s.fail = -1
		return nil, errors.New("injected failure")
	}
	key := NewStruct(NewStructSchema("k").Field("id", Int32Schema).Build())
	key.Values[0] = int32(s.next)
	s.next++
	return []*Record{{Topic: "counts", Partition: -1, KeySchema: key.Schema, Key: key,
		ValueSchema: OptString, Value: fmt.Sprint(s.next - 1),
		SourcePartition: counterPartition, SourceOffset: map[string]any{"next": s.next}}}, nil
}

func (s *counterSource) Commit(context.Context) error { return nil }
func (s *counterSource) Stop() error                  { return nil }

// collectSink records what it is given.
type collectSink struct {
	mu      sync.Mutex
	got     []string
	flushed int
}

func (c *collectSink) Start(context.Context, SinkContext) error { return nil }
func (c *collectSink) Put(_ context.Context, recs []*Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range recs {
		c.got = append(c.got, fmt.Sprintf("%v=%v", r.Key.(*Struct).Get("id"), r.Value))
	}
	return nil
}
func (c *collectSink) Flush(context.Context) error {
	c.mu.Lock()
	c.flushed = len(c.got)
	c.mu.Unlock()
	return nil
}
func (c *collectSink) Stop() error { return nil }

func (c *collectSink) snapshot() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.got...)
}

type testRT struct {
	log  logstore.Log
	reg  *registry.Embedded
	rt   *Runtime
	sink *collectSink
	fail int
}

func newTestRT(t *testing.T, dir string) *testRT {
	t.Helper()
	l, err := embedded.Open(dir, embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(context.Background(), l, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := &testRT{log: l, reg: reg, sink: &collectSink{}, fail: -1}
	p := NewPlugins()
	p.AddClass(&Class{Name: "test.Counter", Kind: Source, Spec: NewSpec(Key{Name: "count", Type: TypeInt, Default: "10"}),
		NewSource: func(cfg *Config, _ Env) (SourceTask, error) {
			return &counterSource{n: int(cfg.Int("count")), fail: &x.fail}, nil
		}})
	p.AddClass(&Class{Name: "test.Collect", Kind: Sink, Spec: NewSpec(),
		NewSink: func(*Config, Env) (SinkTask, error) { return x.sink, nil }})
	x.rt = NewRuntime(Options{Log: l, Registry: reg, Plugins: p, RestartBackoff: 10 * time.Millisecond})
	t.Cleanup(func() { x.rt.Close(); l.Close() })
	return x
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCreateErrors(t *testing.T) {
	x := newTestRT(t, t.TempDir())
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		sink bool
		cfg  map[string]string
		want string
	}{
		{"unknown class", false, map[string]string{"connector.class": "com.example.Nope"}, `unknown connector class "com.example.Nope"; accepted classes: test.Collect, test.Counter`},
		{"wrong kind", true, map[string]string{"connector.class": "test.Counter"}, "test.Counter is a source connector, not a sink connector"},
		{"unknown key", false, map[string]string{"connector.class": "test.Counter", "cuont": "1"}, "configuration cuont: unknown configuration key"},
		{"unknown transform", false, map[string]string{"connector.class": "test.Counter", "transforms": "u", "transforms.u.type": "x.Y"}, `transforms.u.type: unknown transform class "x.Y"`},
		{"bad transform key", false, map[string]string{"connector.class": "test.Counter", "transforms": "u", "transforms.u.type": ExtractNewRecordStateClass, "transforms.u.delete.handling.mode": "keep"},
			`configuration transforms.u.delete.handling.mode: "keep" is not one of the accepted values: drop, rewrite, none`},
		{"unknown converter", false, map[string]string{"connector.class": "test.Counter", "value.converter": "x.Conv"}, `value.converter: unknown converter class "x.Conv"`},
		{"sink without topics", true, map[string]string{"connector.class": "test.Collect"}, "a sink connector needs topics or topics.regex"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := x.rt.Create(ctx, "c", tc.sink, tc.cfg)
			if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an ErrConfig containing %q", err, tc.want)
			}
		})
	}
	if err := x.rt.Create(ctx, "ok", false, map[string]string{"connector.class": "test.Counter"}); err != nil {
		t.Fatal(err)
	}
	if err := x.rt.Create(ctx, "ok", false, map[string]string{"connector.class": "test.Counter"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := x.rt.Drop(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("drop unknown: %v", err)
	}
}

// TestSourceToSink runs a source into a topic and a sink out of it, with a
// task failure and a restart in between: the source resumes from its
// stored offset and the sink from its committed group offsets, so every
// record arrives once.
func TestSourceToSink(t *testing.T) {
	dir := t.TempDir()
	x := newTestRT(t, dir)
	ctx := context.Background()
	x.fail = 5
	src := map[string]string{"connector.class": "test.Counter", "count": "10", "value.converter": StringConverterClass}
	if err := x.rt.Create(ctx, "src", false, src); err != nil {
		t.Fatal(err)
	}
	sink := map[string]string{"connector.class": "test.Collect", "topics": "counts", "value.converter": "string"}
	if err := x.rt.Create(ctx, "snk", true, sink); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "10 records", func() bool { return len(x.sink.snapshot()) >= 10 })
	st, err := x.rt.Describe("src")
	if err != nil || !strings.Contains(st.LastError, "injected failure") || st.State != Running || st.Records != 10 {
		t.Fatalf("source status after a restart: %+v %v", st, err)
	}
	waitFor(t, "sink offsets", func() bool {
		offs, _ := x.log.CommittedOffsets(ctx, "connect-snk", []logstore.TopicPartition{{Topic: "counts"}})
		return offs[logstore.TopicPartition{Topic: "counts"}] == 10
	})
	x.rt.Close()
	x.log.Close()

	// A new runtime over the same log: nothing is produced or delivered
	// twice, and more records continue from where they stopped.
	y := newTestRT(t, dir)
	src["count"] = "12"
	if err := y.rt.Create(ctx, "src", false, src); err != nil {
		t.Fatal(err)
	}
	if err := y.rt.Create(ctx, "snk", true, sink); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "2 more records", func() bool { return len(y.sink.snapshot()) >= 2 })
	time.Sleep(100 * time.Millisecond)
	got := strings.Join(append(x.sink.snapshot(), y.sink.snapshot()...), " ")
	if want := "0=0 1=1 2=2 3=3 4=4 5=5 6=6 7=7 8=8 9=9 10=10 11=11"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	st, _ = y.rt.Describe("snk")
	if st.Lag != 0 || len(st.Topics) != 1 || st.Kind != Sink {
		t.Fatalf("sink status: %+v", st)
	}
}

func TestUnwrap(t *testing.T) {
	row := NewStructSchema("s.p.t.Value").Optional().Field("id", Int32Schema).Field("name", OptString).Build()
	src := NewStructSchema("src").Field("table", StringSchema).Field("lsn", OptInt64).Build()
	env := NewStructSchema("s.p.t.Envelope").Field("before", row).Field("after", row).Field("source", src).
		Field("op", StringSchema).Field("ts_ms", OptInt64).Build()
	mk := func(op string, before, after []any) *Record {
		e := NewStruct(env)
		if before != nil {
			e.Values[0] = &Struct{Schema: row, Values: before}
		}
		if after != nil {
			e.Values[1] = &Struct{Schema: row, Values: after}
		}
		e.Values[2] = &Struct{Schema: src, Values: []any{"t", int64(42)}}
		e.Values[3] = op
		e.Values[4] = int64(7)
		return &Record{Topic: "s.p.t", ValueSchema: env, Value: e}
	}
	show := func(r *Record) string {
		if r == nil {
			return "dropped"
		}
		if r.Value == nil {
			return "tombstone"
		}
		st := r.Value.(*Struct)
		var parts []string
		for i, f := range st.Schema.Fields {
			parts = append(parts, fmt.Sprintf("%s=%v", f.Name, st.Values[i]))
		}
		for _, h := range r.Headers {
			parts = append(parts, fmt.Sprintf("h:%s=%v", h.Key, h.Value))
		}
		return strings.Join(parts, ",")
	}
	for _, tc := range []struct {
		cfg  map[string]string
		want string
	}{
		{map[string]string{}, "id=1,name=a | dropped | dropped"},
		{map[string]string{"delete.handling.mode": "none", "drop.tombstones": "false"}, "id=1,name=a | tombstone | tombstone"},
		{map[string]string{"delete.handling.mode": "rewrite"}, "id=1,name=a,__deleted=false | id=1,name=a,__deleted=true | dropped"},
		{map[string]string{"delete.handling.mode": "rewrite", "add.fields": "op,table,source.lsn", "add.headers": "op"},
			"id=1,name=a,__op=c,__table=t,__source_lsn=42,__deleted=false,h:__op=c | id=1,name=a,__op=d,__table=t,__source_lsn=42,__deleted=true,h:__op=d | dropped"},
		{map[string]string{"delete.tombstone.handling.mode": "rewrite-with-tombstone"}, "id=1,name=a,__deleted=false | id=1,name=a,__deleted=true | tombstone"},
	} {
		cfg, err := unwrapSpec.Validate(tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := newUnwrap(cfg)
		var got []string
		for _, r := range []*Record{mk("c", nil, []any{int32(1), "a"}), mk("d", []any{int32(1), "a"}, nil), {Topic: "s.p.t"}} {
			out, err := u.Apply(r)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, show(out))
		}
		if g := strings.Join(got, " | "); g != tc.want {
			t.Errorf("%v:\n got %s\nwant %s", tc.cfg, g, tc.want)
		}
	}
}

func TestCollector(t *testing.T) {
	x := newTestRT(t, t.TempDir())
	if err := x.rt.Create(context.Background(), "src", false, map[string]string{"connector.class": "test.Counter", "count": "3", "value.converter": "string"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "3 records", func() bool { st, _ := x.rt.Describe("src"); return st.Records == 3 })
	reg := prometheus.NewRegistry()
	reg.MustRegister(x.rt.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			got = append(got, fmt.Sprintf("%s=%v", mf.GetName(), v))
		}
	}
	if want := "sluice_connector_lag=0 sluice_connector_records_total=3 sluice_connector_running=1"; strings.Join(got, " ") != want {
		t.Fatalf("got %s", strings.Join(got, " "))
	}
}

func TestRegexRouter(t *testing.T) {
	for _, tc := range []struct{ regex, repl, in, want string }{
		{`srv\.public\.(.*)`, "cdc_$1", "srv.public.orders", "cdc_orders"},
		{`srv\.public\.(.*)`, "cdc_$1", "other.topic", "other.topic"},
		{`(.*)-(.*)`, "$2.$1", "a-b", "b.a"},
	} {
		cfg, err := regexRouterSpec.Validate(map[string]string{"regex": tc.regex, "replacement": tc.repl})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := newRegexRouter(cfg)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := tr.Apply(&Record{Topic: tc.in})
		if out.Topic != tc.want {
			t.Errorf("%s → %s: got %s, want %s", tc.in, tc.repl, out.Topic, tc.want)
		}
	}
}
