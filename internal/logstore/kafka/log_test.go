package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/logstoretest"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// namespaces makes each test's namespace unique within this process; the
// start time makes it unique across processes sharing the broker.
var namespaces atomic.Int64

// newLog opens a Log on the test broker in a namespace of its own, so that
// the suite's fixed topic names, groups and transactional ids meet nothing
// left by earlier runs or by concurrent test binaries. The namespace's
// topics are deleted when the test ends.
func newLog(t testing.TB) *Log {
	t.Helper()
	addr := testsvc.Kafka(t)
	ns := "lst" + strconv.FormatInt(time.Now().UnixMilli()%1e8, 36) + strconv.FormatInt(namespaces.Add(1), 36) + "."
	opts := Options{
		BootstrapServers: []string{addr},
		Namespace:        ns,
		Logger:           slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := Open(ctx, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		l.Close()
		dropNamespace(t, opts)
	})
	return l
}

// dropNamespace deletes every topic a test left in its namespace.
func dropNamespace(t testing.TB, opts Options) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := Open(ctx, opts)
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer l.Close()
	topics, err := l.ListTopics(ctx)
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	var names []string
	for _, ti := range topics {
		names = append(names, l.physical(ti.Name))
	}
	if len(names) > 0 {
		if _, err := l.adm.DeleteTopics(ctx, names...); err != nil {
			t.Logf("cleanup: %v", err)
		}
	}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func TestConformance(t *testing.T) {
	logstoretest.Run(t, func(t *testing.T) logstore.Log { return newLog(t) })
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustCreate(t testing.TB, l *Log, name string, partitions int32) {
	t.Helper()
	if err := l.CreateTopic(ctxFor(t), name, logstore.TopicConfig{Partitions: partitions, Replicas: 1}); err != nil {
		t.Fatalf("CreateTopic(%q): %v", name, err)
	}
}

// readAll reads a partition from its start to its last stable offset.
func readAll(t testing.TB, l *Log, tp logstore.TopicPartition) []string {
	t.Helper()
	ctx := ctxFor(t)
	offs, err := l.ListOffsets(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for next := offs.Start; next < offs.End; {
		recs, err := l.Fetch(ctx, tp, next, logstore.FetchOptions{MaxWait: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			out = append(out, string(r.Value))
			next = r.Offset + 1
		}
	}
	return out
}

func rec(v string) logstore.Record {
	return logstore.Record{Value: []byte(v), Timestamp: 1}
}

// TestOffsetsOnlyTransaction commits and aborts transactions that carry
// offsets and no records, which franz-go alone would never end, both as
// transaction.version 2 brokers and as older ones expect.
func TestOffsetsOnlyTransaction(t *testing.T) {
	for _, tv2 := range []bool{true, false} {
		t.Run(fmt.Sprintf("tv2=%v", tv2), func(t *testing.T) {
			l := newLog(t)
			l.tv2 = l.tv2 && tv2
			testOffsetsOnly(t, l)
		})
	}
}

func testOffsetsOnly(t *testing.T, l *Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "in", 1)
	in := logstore.TopicPartition{Topic: "in", Partition: 0}
	for i, commit := range []bool{false, true, true} {
		tx, err := l.Begin(ctx, "offsets-only")
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.CommitOffsets(ctx, "g", map[logstore.TopicPartition]int64{in: int64(10 + i)}); err != nil {
			t.Fatal(err)
		}
		if commit {
			_, err = tx.Commit(ctx)
		} else {
			err = tx.Abort(ctx)
		}
		if err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
		got, err := l.CommittedOffsets(ctx, "g", []logstore.TopicPartition{in})
		if err != nil {
			t.Fatal(err)
		}
		want := map[bool]int64{false: -1, true: int64(10 + i)}[commit]
		if o, ok := got[in]; (ok || want != -1) && o != want {
			t.Fatalf("after transaction %d (commit %v): offsets %v, want %d", i, commit, got, want)
		}
	}
	// The id still produces after offsets-only transactions.
	tx, err := l.Begin(ctx, "offsets-only")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Produce(ctx, "in", rec("after")); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, l, in); fmt.Sprint(got) != "[after]" {
		t.Fatalf("partition holds %v", got)
	}
}
