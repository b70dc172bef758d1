package logstoretest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

func testLongPoll(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "poll", 1)
	offs, err := l.ListOffsets(ctx, tp("poll", 0))
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		recs []logstore.Record
		err  error
		took time.Duration
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		recs, err := l.Fetch(ctx, tp("poll", 0), offs.End, logstore.FetchOptions{MaxWait: 20 * time.Second})
		done <- result{recs, err, time.Since(start)}
	}()
	time.Sleep(100 * time.Millisecond)
	produce(t, l, "poll", val("wake"))
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !equalStrings(values(r.recs), []string{"wake"}) {
		t.Fatalf("long poll returned %v", values(r.recs))
	}
	if r.took > 10*time.Second {
		t.Fatalf("long poll took %v: it did not wake on commit", r.took)
	}
}

func testLongPollTimeout(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "idle", 1)
	offs, err := l.ListOffsets(ctx, tp("idle", 0))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	recs, err := l.Fetch(ctx, tp("idle", 0), offs.End, logstore.FetchOptions{MaxWait: 200 * time.Millisecond})
	took := time.Since(start)
	if err != nil || len(recs) != 0 {
		t.Fatalf("idle long poll = %v, %v; want nothing and no error", values(recs), err)
	}
	if took < 150*time.Millisecond || took > 10*time.Second {
		t.Errorf("idle long poll with MaxWait 200ms returned after %v", took)
	}
	// MaxWait zero returns at once.
	start = time.Now()
	if _, err := l.Fetch(ctx, tp("idle", 0), offs.End, logstore.FetchOptions{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Fetch at end with no MaxWait took %v", took)
	}
}

func testOffsetForTime(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "times", 1)
	ts := []int64{1000, 2000, 2000, 3000, 2500, 4000}
	var recs []logstore.Record
	for i, x := range ts {
		recs = append(recs, logstore.Record{Value: []byte(fmt.Sprint(i)), Timestamp: x})
	}
	offs := produce(t, l, "times", recs...)[tp("times", 0)]
	end, err := l.ListOffsets(ctx, tp("times", 0))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ts   int64
		want int64
	}{
		{0, offs[0]},
		{1000, offs[0]},
		{1001, offs[1]},
		{2000, offs[1]},
		{2400, offs[3]}, // first in offset order with ts >= 2400 is 3000
		{3000, offs[3]},
		{3500, offs[5]},
		{4000, offs[5]},
		{4001, end.End},
	}
	for _, tc := range tests {
		got, err := l.OffsetForTime(ctx, tp("times", 0), tc.ts)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("OffsetForTime(%d) = %d, want %d", tc.ts, got, tc.want)
		}
	}
	mustCreate(t, l, "times-empty", 1)
	empty, _ := l.ListOffsets(ctx, tp("times-empty", 0))
	if got, err := l.OffsetForTime(ctx, tp("times-empty", 0), 0); err != nil || got != empty.End {
		t.Errorf("OffsetForTime on an empty partition = %d, %v; want %d", got, err, empty.End)
	}
}

func testListOffsets(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "lo", 2)
	offs, err := l.ListOffsets(ctx, tp("lo", 0))
	if err != nil {
		t.Fatal(err)
	}
	if offs.Start != offs.End {
		t.Fatalf("a new partition has offsets %+v, want Start == End", offs)
	}
	got := produce(t, l, "lo", val("a"), val("b"), val("c"))[tp("lo", 0)]
	after, err := l.ListOffsets(ctx, tp("lo", 0))
	if err != nil {
		t.Fatal(err)
	}
	if after.Start != offs.Start || after.End <= got[2] || got[0] < offs.End {
		t.Errorf("after producing at %v: ListOffsets = %+v (before %+v)", got, after, offs)
	}
	other, _ := l.ListOffsets(ctx, tp("lo", 1))
	if other.Start != other.End {
		t.Errorf("an untouched partition moved: %+v", other)
	}
}

func testConcurrentProducers(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "conc", 1)
	const writers, txns, perTxn = 4, 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < txns; i++ {
				tx, err := l.Begin(ctx, fmt.Sprintf("w%d", w))
				if err != nil {
					errs <- err
					return
				}
				var recs []logstore.Record
				for j := 0; j < perTxn; j++ {
					recs = append(recs, logstore.Record{Key: []byte(fmt.Sprint(w)), Value: []byte(fmt.Sprintf("%d/%d/%d", w, i, j))})
				}
				if err := tx.Produce(ctx, "conc", recs...); err != nil {
					errs <- err
					return
				}
				if _, err := tx.Commit(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := fetchAll(t, l, tp("conc", 0), 0)
	if len(got) != writers*txns*perTxn {
		t.Fatalf("fetched %d records, want %d", len(got), writers*txns*perTxn)
	}
	// Each writer's records arrive in its order, each once.
	next := map[string]int{}
	for _, r := range got {
		var w, i, j int
		fmt.Sscanf(string(r.Value), "%d/%d/%d", &w, &i, &j)
		k := fmt.Sprint(w)
		if want := next[k]; i*perTxn+j != want {
			t.Fatalf("writer %d: record %d/%d arrived when %d was expected", w, i, j, want)
		}
		next[k]++
	}
}

func testManyPartitions(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	const n = 64
	mustCreate(t, l, "wide", n)
	tx, err := l.Begin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < n; p++ {
		for i := int32(0); i <= p%5; i++ {
			if err := tx.Produce(ctx, "wide", logstore.Record{Value: []byte(fmt.Sprintf("%d-%d", p, i)), Partition: p}); err != nil {
				t.Fatal(err)
			}
		}
	}
	offs, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < n; p++ {
		want := int(p%5) + 1
		if len(offs[tp("wide", p)]) != want {
			t.Errorf("wide/%d: %d offsets, want %d", p, len(offs[tp("wide", p)]), want)
		}
		got := fetchAll(t, l, tp("wide", p), 0)
		if len(got) != want {
			t.Fatalf("wide/%d holds %d records, want %d", p, len(got), want)
		}
		for i, r := range got {
			if string(r.Value) != fmt.Sprintf("%d-%d", p, i) || r.Partition != p {
				t.Errorf("wide/%d record %d = %s (partition %d)", p, i, r.Value, r.Partition)
			}
		}
	}
}

func testClose(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "closing", 1)
	offs, _ := l.ListOffsets(ctx, tp("closing", 0))
	done := make(chan error, 1)
	go func() {
		_, err := l.Fetch(ctx, tp("closing", 0), offs.End, logstore.FetchOptions{MaxWait: 30 * time.Second})
		done <- err
	}()
	open, err := l.Begin(ctx, "open")
	if err != nil {
		t.Fatal(err)
	}
	if err := open.Produce(ctx, "closing", val("never")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a long poll outlived Close")
	}
	if _, err := open.Commit(ctx); err == nil {
		t.Errorf("a transaction committed after Close")
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// testReadWhileWriting tails a partition with long polls while a writer
// commits: the reader must see every record once, in order, and never part
// of a transaction.
func testReadWhileWriting(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "tail", 1)
	const txns, perTxn = 50, 10
	start, err := l.ListOffsets(ctx, tp("tail", 0))
	if err != nil {
		t.Fatal(err)
	}
	writeErr := make(chan error, 1)
	go func() {
		for i := 0; i < txns; i++ {
			tx, err := l.Begin(ctx, "tail-writer")
			if err != nil {
				writeErr <- err
				return
			}
			for j := 0; j < perTxn; j++ {
				if err := tx.Produce(ctx, "tail", logstore.Record{Value: []byte(fmt.Sprintf("%d/%d", i, j))}); err != nil {
					writeErr <- err
					return
				}
			}
			if _, err := tx.Commit(ctx); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	}()
	var seen []string
	next := start.End
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < txns*perTxn {
		if time.Now().After(deadline) {
			t.Fatalf("the reader saw %d of %d records in 30s", len(seen), txns*perTxn)
		}
		recs, err := l.Fetch(ctx, tp("tail", 0), next, logstore.FetchOptions{MaxRecords: 1000, MaxWait: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			seen = append(seen, string(r.Value))
			next = r.Offset + 1
		}
		// Small records and a MaxRecords that is a multiple of the
		// transaction size: a fetch ends on a transaction boundary unless
		// part of a transaction was visible.
		if len(seen)%perTxn != 0 {
			t.Fatalf("after %d records the reader has seen part of a transaction: %v", len(seen), seen[len(seen)-len(seen)%perTxn:])
		}
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	for k, v := range seen {
		if want := fmt.Sprintf("%d/%d", k/perTxn, k%perTxn); v != want {
			t.Fatalf("record %d is %q, want %q", k, v, want)
		}
	}
}
