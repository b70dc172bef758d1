package logstoretest

import (
	"errors"
	"testing"

	"github.com/sluicedb/sluice/internal/logstore"
)

func testTxnInvisibleUntilCommit(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "inv", 1)
	produce(t, l, "inv", val("before"))
	tx, err := l.Begin(ctx, "writer")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Produce(ctx, "inv", val("pending1"), val("pending2")); err != nil {
		t.Fatal(err)
	}
	if got := values(fetchAll(t, l, tp("inv", 0), 0)); !equalStrings(got, []string{"before"}) {
		t.Fatalf("before commit readers see %v, want [before]", got)
	}
	before, err := l.ListOffsets(ctx, tp("inv", 0))
	if err != nil {
		t.Fatal(err)
	}
	// A reader at the end sees nothing of the open transaction.
	recs, err := l.Fetch(ctx, tp("inv", 0), before.End, logstore.FetchOptions{MaxWait: 20e6})
	if err != nil || len(recs) != 0 {
		t.Fatalf("Fetch at end during a transaction = %v, %v; want nothing", values(recs), err)
	}
	offs, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := values(fetchAll(t, l, tp("inv", 0), 0)); !equalStrings(got, []string{"before", "pending1", "pending2"}) {
		t.Fatalf("after commit readers see %v", got)
	}
	if o := offs[tp("inv", 0)]; len(o) != 2 || o[0] < before.End-1 || o[1] <= o[0] {
		t.Fatalf("Commit offsets %v after end %d", o, before.End)
	}
}

func testTxnAbort(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "abort", 2)
	tx, err := l.Begin(ctx, "ab")
	if err != nil {
		t.Fatal(err)
	}
	r := val("gone")
	r.Partition = 1
	if err := tx.Produce(ctx, "abort", val("gone"), r); err != nil {
		t.Fatal(err)
	}
	if err := tx.CommitOffsets(ctx, "g", map[logstore.TopicPartition]int64{tp("abort", 0): 42}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	produce(t, l, "abort", val("kept"))
	if got := values(fetchAll(t, l, tp("abort", 0), 0)); !equalStrings(got, []string{"kept"}) {
		t.Errorf("after abort partition 0 holds %v, want [kept]", got)
	}
	if got := fetchAll(t, l, tp("abort", 1), 0); len(got) != 0 {
		t.Errorf("after abort partition 1 holds %v", values(got))
	}
	offs, err := l.CommittedOffsets(ctx, "g", []logstore.TopicPartition{tp("abort", 0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(offs) != 0 {
		t.Errorf("aborted offsets are visible: %v", offs)
	}
	// The id is free again after an abort.
	tx, err = l.Begin(ctx, "ab")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Produce(ctx, "abort", val("second")); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatalf("Commit after an aborted transaction with the same id: %v", err)
	}
}

func testTxnMultiPartition(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "out-a", 3)
	mustCreate(t, l, "out-b", 1)
	mustCreate(t, l, "in", 2)
	tx, err := l.Begin(ctx, "task-1")
	if err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < 3; p++ {
		r := val("a")
		r.Partition = p
		if err := tx.Produce(ctx, "out-a", r, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Produce(ctx, "out-b", val("b")); err != nil {
		t.Fatal(err)
	}
	in := map[logstore.TopicPartition]int64{tp("in", 0): 10, tp("in", 1): 20}
	if err := tx.CommitOffsets(ctx, "query-1", in); err != nil {
		t.Fatal(err)
	}
	offs, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < 3; p++ {
		if n := len(offs[tp("out-a", p)]); n != 2 {
			t.Errorf("out-a/%d: %d offsets, want 2", p, n)
		}
		if got := fetchAll(t, l, tp("out-a", p), 0); len(got) != 2 {
			t.Errorf("out-a/%d holds %d records, want 2", p, len(got))
		}
	}
	if got := values(fetchAll(t, l, tp("out-b", 0), 0)); !equalStrings(got, []string{"b"}) {
		t.Errorf("out-b holds %v", got)
	}
	got, err := l.CommittedOffsets(ctx, "query-1", []logstore.TopicPartition{tp("in", 0), tp("in", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if got[tp("in", 0)] != 10 || got[tp("in", 1)] != 20 || len(got) != 2 {
		t.Errorf("CommittedOffsets = %v, want %v", got, in)
	}
}

func testTxnFenced(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "fence", 1)
	zombie, err := l.Begin(ctx, "task-7")
	if err != nil {
		t.Fatal(err)
	}
	if err := zombie.Produce(ctx, "fence", val("zombie")); err != nil {
		t.Fatal(err)
	}
	if err := zombie.CommitOffsets(ctx, "g", map[logstore.TopicPartition]int64{tp("fence", 0): 99}); err != nil {
		t.Fatal(err)
	}
	fresh, err := l.Begin(ctx, "task-7")
	if err != nil {
		t.Fatal(err)
	}
	if err := fresh.Produce(ctx, "fence", val("fresh")); err != nil {
		t.Fatal(err)
	}
	// The zombie may learn it is fenced at Produce or at Commit.
	err = zombie.Produce(ctx, "fence", val("zombie2"))
	if err == nil {
		_, err = zombie.Commit(ctx)
	}
	if !errors.Is(err, logstore.ErrFenced) {
		t.Fatalf("zombie commit = %v, want ErrFenced", err)
	}
	zombie.Abort(ctx)
	if _, err := fresh.Commit(ctx); err != nil {
		t.Fatalf("fresh commit: %v", err)
	}
	if got := values(fetchAll(t, l, tp("fence", 0), 0)); !equalStrings(got, []string{"fresh"}) {
		t.Errorf("after fencing the partition holds %v, want [fresh]", got)
	}
	offs, _ := l.CommittedOffsets(ctx, "g", []logstore.TopicPartition{tp("fence", 0)})
	if len(offs) != 0 {
		t.Errorf("a fenced transaction's offsets are visible: %v", offs)
	}
	// Other ids are not affected.
	other, err := l.Begin(ctx, "task-8")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Begin(ctx, "task-9"); err != nil {
		t.Fatal(err)
	}
	if err := other.Produce(ctx, "fence", val("other")); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Commit(ctx); err != nil {
		t.Errorf("a transaction with a different id was fenced: %v", err)
	}
}

func testTxnFinished(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "fin", 1)
	tx, err := l.Begin(ctx, "fin")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Produce(ctx, "fin", val("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Produce(ctx, "fin", val("late")); err == nil {
		t.Errorf("Produce after Commit succeeded")
	}
	if _, err := tx.Commit(ctx); err == nil {
		t.Errorf("a second Commit succeeded")
	}
	if got := values(fetchAll(t, l, tp("fin", 0), 0)); !equalStrings(got, []string{"x"}) {
		t.Errorf("partition holds %v, want [x]", got)
	}
	// An empty transaction commits.
	tx, err = l.Begin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Errorf("empty Commit: %v", err)
	}
}

func testGroupOffsets(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "src", 3)
	all := []logstore.TopicPartition{tp("src", 0), tp("src", 1), tp("src", 2)}
	got, err := l.CommittedOffsets(ctx, "g1", all)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("a new group has offsets %v", got)
	}
	commit := func(group string, offs map[logstore.TopicPartition]int64) {
		t.Helper()
		tx, err := l.Begin(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.CommitOffsets(ctx, group, offs); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	commit("g1", map[logstore.TopicPartition]int64{tp("src", 0): 5, tp("src", 2): 7})
	commit("g2", map[logstore.TopicPartition]int64{tp("src", 0): 100})
	commit("g1", map[logstore.TopicPartition]int64{tp("src", 0): 6})
	tests := []struct {
		group string
		want  map[logstore.TopicPartition]int64
	}{
		{"g1", map[logstore.TopicPartition]int64{tp("src", 0): 6, tp("src", 2): 7}},
		{"g2", map[logstore.TopicPartition]int64{tp("src", 0): 100}},
		{"g3", map[logstore.TopicPartition]int64{}},
	}
	for _, tc := range tests {
		got, err := l.CommittedOffsets(ctx, tc.group, all)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("CommittedOffsets(%s) = %v, want %v", tc.group, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("CommittedOffsets(%s)[%v] = %d, want %d", tc.group, k, got[k], v)
			}
		}
	}
	// Only the asked partitions are returned.
	got, _ = l.CommittedOffsets(ctx, "g1", []logstore.TopicPartition{tp("src", 2)})
	if len(got) != 1 || got[tp("src", 2)] != 7 {
		t.Errorf("CommittedOffsets(g1, [src/2]) = %v", got)
	}
}
