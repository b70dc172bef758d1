package migrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	"github.com/sluicedb/sluice/internal/testsvc"
)

const (
	queryGroup = "_confluent-ksql-default_query_CTAS_T_1"
	changelog  = queryGroup + "-Aggregate-Aggregate-Materialize-changelog"
	commands   = "_confluent-ksql-default__command_topic"
)

// source writes an embedded log shaped like a Sluice data directory: a
// user topic with headers, a compacted changelog with a tombstone, the
// command topic, and a query group's committed offsets.
func source(t *testing.T) logstore.Log {
	t.Helper()
	ctx := context.Background()
	src, err := embedded.Open(t.TempDir(), embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	for _, c := range []struct {
		name string
		cfg  logstore.TopicConfig
	}{
		{"orders", logstore.TopicConfig{Partitions: 3, Configs: map[string]string{"retention.ms": "-1"}}},
		{changelog, logstore.TopicConfig{Partitions: 2, Compact: true}},
		{commands, logstore.TopicConfig{Partitions: 1}},
	} {
		if err := src.CreateTopic(ctx, c.name, c.cfg); err != nil {
			t.Fatal(err)
		}
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMilli()
	// Several transactions, so the source spans more than one batch.
	for b := 0; b < 3; b++ {
		txn, err := src.Begin(ctx, "writer")
		if err != nil {
			t.Fatal(err)
		}
		var orders, cl []logstore.Record
		for i := 0; i < 20; i++ {
			n := b*20 + i
			orders = append(orders, logstore.Record{
				Key: []byte("k" + strconv.Itoa(n%7)), Value: []byte(fmt.Sprintf(`{"n":%d}`, n)),
				Timestamp: ts + int64(n), Partition: int32(n % 3),
				Headers: []logstore.Header{{Key: "trace", Value: []byte(strconv.Itoa(n))}, {Key: "trace", Value: nil}},
			})
			r := logstore.Record{Key: []byte("k" + strconv.Itoa(n%5)), Value: []byte(strconv.Itoa(n)), Timestamp: ts + int64(n), Partition: int32(n % 2)}
			if n%9 == 8 {
				r.Value = nil // tombstone
			}
			cl = append(cl, r)
		}
		cmd := logstore.Record{Key: []byte("stream/X/create"), Value: []byte(fmt.Sprintf(`{"statement":"s%d"}`, b)), Timestamp: ts + int64(b)}
		for _, p := range []struct {
			topic string
			recs  []logstore.Record
		}{{"orders", orders}, {changelog, cl}, {commands, []logstore.Record{cmd}}} {
			if err := txn.Produce(ctx, p.topic, p.recs...); err != nil {
				t.Fatal(err)
			}
		}
		if b == 1 {
			err := txn.CommitOffsets(ctx, queryGroup, map[logstore.TopicPartition]int64{{Topic: "orders", Partition: 0}: 13, {Topic: "orders", Partition: 2}: 20})
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := txn.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return src
}

// target opens the test broker in a namespace of its own, dropped when the
// test ends.
func target(t *testing.T) logstore.Log {
	t.Helper()
	addr := testsvc.Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dst, err := kafka.Open(ctx, kafka.Options{
		BootstrapServers: []string{addr},
		Namespace:        "mig" + strconv.FormatInt(time.Now().UnixMilli()%1e9, 36) + ".",
		Logger:           slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if topics, err := dst.ListTopics(ctx); err == nil {
			for _, ti := range topics {
				_ = dst.DeleteTopic(ctx, ti.Name)
			}
		}
		dst.Close()
	})
	return dst
}

func readAll(t *testing.T, l logstore.Log, tp logstore.TopicPartition, from int64) []logstore.Record {
	t.Helper()
	ctx := context.Background()
	bounds, err := l.ListOffsets(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	if from < bounds.Start {
		from = bounds.Start
	}
	var out []logstore.Record
	// An empty fetch below the end is not the end on Kafka: a long poll
	// that spent its wait stepping over transaction markers, under load,
	// returns nothing. Only a run of empty fetches means only markers are
	// left.
	for empty := 0; from < bounds.End && empty < 5; {
		recs, err := l.Fetch(ctx, tp, from, logstore.FetchOptions{MaxWait: 100 * time.Millisecond})
		if err != nil {
			t.Fatalf("fetch %v at %d: %v", tp, from, err)
		}
		if len(recs) == 0 {
			empty++
			continue
		}
		empty = 0
		out = append(out, recs...)
		from = recs[len(recs)-1].Offset + 1
	}
	return out
}

// latestPerKey keeps the last record of each key, in the order of those
// last records: a compacted topic's content once the cleaner has run.
func latestPerKey(recs []logstore.Record) []logstore.Record {
	last := map[string]int{}
	for i, r := range recs {
		last[string(r.Key)] = i
	}
	var out []logstore.Record
	for i, r := range recs {
		if last[string(r.Key)] == i {
			out = append(out, r)
		}
	}
	return out
}

func describe(r logstore.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "p%d ts=%d key=%q", r.Partition, r.Timestamp, r.Key)
	if r.Value == nil {
		b.WriteString(" <tombstone>")
	} else {
		fmt.Fprintf(&b, " value=%q", r.Value)
	}
	for _, h := range r.Headers {
		fmt.Fprintf(&b, " %s=%q", h.Key, h.Value)
	}
	return b.String()
}

// compare checks every topic and record of src against dst and returns the
// number of records compared.
func compare(t *testing.T, src, dst logstore.Log) int {
	t.Helper()
	ctx := context.Background()
	topics, err := src.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ti := range topics {
		got, err := dst.DescribeTopic(ctx, ti.Name)
		if err != nil {
			t.Fatalf("target %s: %v", ti.Name, err)
		}
		if got.Partitions != ti.Partitions || got.Config.Compact != ti.Config.Compact {
			t.Errorf("%s: target has %d partitions compact=%t, source %d compact=%t", ti.Name, got.Partitions, got.Config.Compact, ti.Partitions, ti.Config.Compact)
		}
		for p := int32(0); p < ti.Partitions; p++ {
			tp := logstore.TopicPartition{Topic: ti.Name, Partition: p}
			want, have := readAll(t, src, tp, 0), readAll(t, dst, tp, 0)
			n += len(want)
			if ti.Config.Compact {
				// The broker's log cleaner may already have compacted the
				// copy; what must match is the latest record per key.
				want, have = latestPerKey(want), latestPerKey(have)
			}
			if len(want) != len(have) {
				t.Fatalf("%v: %d records on the target, %d on the source", tp, len(have), len(want))
			}
			for i := range want {
				if w, h := describe(want[i]), describe(have[i]); w != h {
					t.Errorf("%v record %d:\n have %s\n want %s", tp, i, h, w)
				}
			}
		}
	}
	return n
}

func TestMigrateToKafka(t *testing.T) {
	src, dst := source(t), target(t)
	ctx := context.Background()
	start := time.Now()
	st, err := Run(ctx, src, dst, Options{BatchRecords: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("migrated %d records in %d topics, %d groups, in %v", st.Records, st.Topics, st.Groups, time.Since(start))
	if st.Topics != 3 || st.Records != 123 || st.Groups != 1 {
		t.Errorf("stats %+v, want 3 topics, 123 records, 1 group", st)
	}
	if n := compare(t, src, dst); n != 123 {
		t.Errorf("compared %d records, want 123", n)
	}
	if ti, err := dst.DescribeTopic(ctx, "orders"); err != nil || ti.Config.Configs["retention.ms"] != "-1" {
		t.Errorf("orders configs %v (%v), want retention.ms=-1", ti.Config.Configs, err)
	}

	// The group resumes at the same record on the target.
	tps := []logstore.TopicPartition{{Topic: "orders", Partition: 0}, {Topic: "orders", Partition: 2}}
	was, _ := src.CommittedOffsets(ctx, queryGroup, tps)
	now, err := dst.CommittedOffsets(ctx, queryGroup, tps)
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range tps {
		want, have := readAll(t, src, tp, was[tp]), readAll(t, dst, tp, now[tp])
		if len(want) != len(have) || (len(want) > 0 && describe(want[0]) != describe(have[0])) {
			t.Errorf("group %s on %v: resumes with %d records on the target, %d on the source", queryGroup, tp, len(have), len(want))
		}
	}

	// A second run refuses, naming the topic; --force replaces.
	_, err = Run(ctx, src, dst, Options{})
	if !errors.Is(err, ErrTargetNotEmpty) || !strings.Contains(err.Error(), `"`) {
		t.Fatalf("re-run: %v, want ErrTargetNotEmpty naming the topic", err)
	}
	if _, err := Run(ctx, src, dst, Options{Force: true}); err != nil {
		t.Fatalf("forced re-run: %v", err)
	}
	if n := compare(t, src, dst); n != 123 {
		t.Errorf("after --force compared %d records, want 123", n)
	}
}

func TestQueryGroups(t *testing.T) {
	topics := []logstore.TopicInfo{
		{Name: changelog},
		{Name: "_confluent-ksql-svc-1_query_CSAS_J_4-Join-repartition"},
		{Name: commands},
		{Name: "orders"},
	}
	got := QueryGroups(topics)
	want := []string{queryGroup, "_confluent-ksql-svc-1_query_CSAS_J_4"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("QueryGroups = %v, want %v", got, want)
	}
}
