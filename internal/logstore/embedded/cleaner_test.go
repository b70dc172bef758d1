package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

// fakeClock lets retention and compaction tests move time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func cleanerOptions(clock *fakeClock) Options {
	return Options{Sync: SyncNever, SegmentBytes: 1024, IndexIntervalBytes: 128, RetentionCheckInterval: time.Hour, now: clock.Now}
}

func produceAt(t *testing.T, l *Log, topic string, recs ...logstore.Record) {
	t.Helper()
	ctx := context.Background()
	tx, err := l.Begin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Produce(ctx, topic, recs...); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRetentionByTime(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	opts := cleanerOptions(clock)
	l := openTest(t, dir, opts)
	ctx := context.Background()
	l.CreateTopic(ctx, "r", logstore.TopicConfig{Partitions: 1, RetentionTime: time.Hour})
	old := clock.Now().Add(-2 * time.Hour).UnixMilli()
	for i := 0; i < 100; i++ {
		produceAt(t, l, "r", logstore.Record{Value: make([]byte, 50), Timestamp: old})
	}
	for i := 0; i < 10; i++ {
		produceAt(t, l, "r", logstore.Record{Value: make([]byte, 50), Timestamp: clock.Now().UnixMilli()})
	}
	tp := logstore.TopicPartition{Topic: "r", Partition: 0}
	before, _ := l.ListOffsets(ctx, tp)
	l.clean(ctx)
	after, _ := l.ListOffsets(ctx, tp)
	if after.End != before.End || after.Start == 0 || after.Start > 100 {
		t.Fatalf("offsets after time retention: %+v (before %+v); want Start in (0, 100]", after, before)
	}
	if _, err := l.Fetch(ctx, tp, after.Start-1, logstore.FetchOptions{}); !errors.Is(err, logstore.ErrOffsetOutOfRange) {
		t.Errorf("Fetch below the new start = %v, want ErrOffsetOutOfRange", err)
	}
	recs := readAll(t, l, "r", 0)
	if int64(len(recs)) != after.End-after.Start || recs[0].Offset != after.Start {
		t.Errorf("read %d records from %d, want %d from %d", len(recs), recs[0].Offset, after.End-after.Start, after.Start)
	}
	if bases, _ := listSegments(filepath.Join(dir, "topics", "r", "0")); bases[0] != after.Start {
		t.Errorf("first segment file is %d, start is %d", bases[0], after.Start)
	}
	// Recent data is kept however often the cleaner runs.
	l.clean(ctx)
	if again, _ := l.ListOffsets(ctx, tp); again != after {
		t.Errorf("a second pass moved offsets to %+v", again)
	}
	l.Close()
	l = openTest(t, dir, opts)
	if reopened, _ := l.ListOffsets(ctx, tp); reopened != after {
		t.Errorf("after reopen offsets are %+v, want %+v", reopened, after)
	}
}

func TestRetentionBySize(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	l := openTest(t, t.TempDir(), cleanerOptions(clock))
	ctx := context.Background()
	l.CreateTopic(ctx, "s", logstore.TopicConfig{Partitions: 1, RetentionBytes: 3000})
	for i := 0; i < 200; i++ {
		produceAt(t, l, "s", logstore.Record{Value: make([]byte, 50), Timestamp: clock.Now().UnixMilli()})
	}
	l.clean(ctx)
	p, _ := l.partition(logstore.TopicPartition{Topic: "s", Partition: 0})
	var total int64
	for _, s := range p.segments() {
		total += s.visible.Load()
	}
	if total >= 3000+1024 || total < 3000-1024 {
		t.Errorf("after size retention the partition holds %d bytes; want about 3000", total)
	}
	offs, _ := l.ListOffsets(ctx, logstore.TopicPartition{Topic: "s", Partition: 0})
	if offs.End != 200 || offs.Start == 0 {
		t.Errorf("offsets after size retention: %+v", offs)
	}
}

func TestCompaction(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	dir := t.TempDir()
	opts := cleanerOptions(clock)
	l := openTest(t, dir, opts)
	ctx := context.Background()
	cfg := logstore.TopicConfig{Partitions: 1, Compact: true, Configs: map[string]string{"delete.retention.ms": "3600000"}}
	if err := l.CreateTopic(ctx, "c", cfg); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // the final value per key; "" is deleted
	put := func(k string, v []byte) {
		produceAt(t, l, "c", logstore.Record{Key: []byte(k), Value: v, Timestamp: clock.Now().UnixMilli()})
		if v == nil {
			delete(want, k)
		} else {
			want[k] = string(v)
		}
	}
	for round := 0; round < 20; round++ {
		for k := 0; k < 10; k++ {
			put(fmt.Sprintf("k%d", k), []byte(fmt.Sprintf("round %d value of k%d", round, k)))
		}
		if round == 10 {
			put("k3", nil) // superseded by later rounds
		}
	}
	put("k5", nil) // the last word on k5
	put("nullkey-neighbour", []byte("x"))
	produceAt(t, l, "c", logstore.Record{Key: nil, Value: []byte("null key kept")})
	// Fill a few more segments so that the tombstone is in a closed one.
	for i := 0; i < 30; i++ {
		put(fmt.Sprintf("tail%d", i%3), []byte(fmt.Sprintf("tail value %d", i)))
	}
	tp := logstore.TopicPartition{Topic: "c", Partition: 0}
	before := readAll(t, l, "c", 0)
	l.clean(ctx)
	after := readAll(t, l, "c", 0)
	if len(after) >= len(before)/2 {
		t.Fatalf("compaction kept %d of %d records", len(after), len(before))
	}
	checkCompacted(t, after, want, true)
	offs, _ := l.ListOffsets(ctx, tp)
	if offs.Start != 0 || offs.End != int64(len(before)) {
		t.Errorf("offsets after compaction %+v, want [0, %d)", offs, len(before))
	}
	// A read that starts inside a gap gets the next surviving record.
	for _, r := range after[1:] {
		if gap := r.Offset - 1; !hasOffset(after, gap) {
			got, err := l.Fetch(ctx, tp, gap, logstore.FetchOptions{MaxRecords: 1})
			if err != nil || len(got) != 1 || got[0].Offset != r.Offset {
				t.Errorf("Fetch in the gap at %d = %v, %v; want offset %d", gap, got, err, r.Offset)
			}
			break
		}
	}
	// Past the delete retention the tombstone goes too.
	clock.Add(2 * time.Hour)
	l.clean(ctx)
	final := readAll(t, l, "c", 0)
	checkCompacted(t, final, want, false)
	l.Close()
	l = openTest(t, dir, opts)
	reopened := readAll(t, l, "c", 0)
	if len(reopened) != len(final) {
		t.Fatalf("after reopen %d records, before %d", len(reopened), len(final))
	}
	checkCompacted(t, reopened, want, false)
	if got := commitN(t, l, "c", 0, 0, 1); got[0] != int64(len(before)) {
		t.Errorf("after compaction and reopen the next offset is %d, want %d", got[0], len(before))
	}
}

// TestCompactionNoResurrection deletes a key whose only value is the last
// record of a segment: once the tombstone expires, neither may remain.
func TestCompactionNoResurrection(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	l := openTest(t, t.TempDir(), cleanerOptions(clock))
	ctx := context.Background()
	cfg := logstore.TopicConfig{Partitions: 1, Compact: true, Configs: map[string]string{"delete.retention.ms": "1000"}}
	l.CreateTopic(ctx, "c", cfg)
	// 1024-byte segments: each 700-byte record fills one.
	big := make([]byte, 700)
	produceAt(t, l, "c", logstore.Record{Key: []byte("A"), Value: big})
	produceAt(t, l, "c", logstore.Record{Key: []byte("B"), Value: big})
	produceAt(t, l, "c", logstore.Record{Key: []byte("A"), Value: nil})
	produceAt(t, l, "c", logstore.Record{Key: []byte("C"), Value: big})
	produceAt(t, l, "c", logstore.Record{Key: []byte("D"), Value: big})
	clock.Add(time.Hour)
	l.clean(ctx)
	var keys []string
	for _, r := range readAll(t, l, "c", 0) {
		keys = append(keys, string(r.Key))
	}
	if want := []string{"B", "C", "D"}; fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("after compaction the keys are %v, want %v", keys, want)
	}
}

// TestCompactionLeavesAWayForward checks that a reader anywhere before the
// end still gets a record after compaction when the active segment is
// empty and the last committed record is an expired tombstone: without
// one, it could never move past the gap (a Record carries no skip offset).
func TestCompactionLeavesAWayForward(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	dir := t.TempDir()
	opts := cleanerOptions(clock)
	l := openTest(t, dir, opts)
	ctx := context.Background()
	l.CreateTopic(ctx, "c", logstore.TopicConfig{Partitions: 1, Compact: true, Configs: map[string]string{"delete.retention.ms": "1000"}})
	for i := 0; i < 40; i++ {
		produceAt(t, l, "c", logstore.Record{Key: []byte("K"), Value: make([]byte, 100)})
	}
	produceAt(t, l, "c", logstore.Record{Key: []byte("K"), Value: nil})
	tp := logstore.TopicPartition{Topic: "c", Partition: 0}
	offs, _ := l.ListOffsets(ctx, tp)
	l.Close()
	// A roll that was never committed, cut to nothing by recovery, leaves
	// an empty active segment at the end.
	os.WriteFile(filepath.Join(dir, "topics", "c", "0", segmentName(offs.End)+".log"), []byte("torn"), 0o644)
	l = openTest(t, dir, opts)
	clock.Add(time.Hour)
	l.clean(ctx)
	for _, from := range []int64{0, offs.End / 2, offs.End - 1} {
		recs, err := l.Fetch(ctx, tp, from, logstore.FetchOptions{})
		if err != nil || len(recs) == 0 {
			t.Errorf("Fetch(%d) with end %d = %d records, %v; want at least one", from, offs.End, len(recs), err)
		}
	}
}

func hasOffset(recs []logstore.Record, off int64) bool {
	for _, r := range recs {
		if r.Offset == off {
			return true
		}
	}
	return false
}

// checkCompacted replays recs as a table and compares it with want; the
// replay must agree whatever stale records compaction kept.
func checkCompacted(t *testing.T, recs []logstore.Record, want map[string]string, tombstoneK5 bool) {
	t.Helper()
	table := map[string]string{}
	sawK5Tombstone, sawNullKey := false, false
	for i, r := range recs {
		if i > 0 && r.Offset <= recs[i-1].Offset {
			t.Fatalf("offsets not increasing at %d", r.Offset)
		}
		if r.Key == nil {
			sawNullKey = true
			continue
		}
		if r.Value == nil {
			delete(table, string(r.Key))
			if string(r.Key) == "k5" {
				sawK5Tombstone = true
			}
			continue
		}
		table[string(r.Key)] = string(r.Value)
	}
	if len(table) != len(want) {
		t.Errorf("replayed table has %d keys, want %d", len(table), len(want))
	}
	for k, v := range want {
		if table[k] != v {
			t.Errorf("key %s = %q, want %q", k, table[k], v)
		}
	}
	if !sawNullKey {
		t.Errorf("the null-key record was compacted away")
	}
	if sawK5Tombstone != tombstoneK5 {
		t.Errorf("k5 tombstone present = %v, want %v", sawK5Tombstone, tombstoneK5)
	}
}

func TestFinishCompaction(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) { os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644) }
	// Base 0: the crash came before the log rename; the old pair stays.
	write(segmentName(0)+".log", "old log 0")
	write(segmentName(0)+".index", "old index 0")
	write(segmentName(0)+".log.cleaned", "new log 0")
	write(segmentName(0)+".index.cleaned", "new index 0")
	// Base 5: the log was renamed, the index was not.
	write(segmentName(5)+".log", "new log 5")
	write(segmentName(5)+".index", "old index 5")
	write(segmentName(5)+".index.cleaned", "new index 5")
	if err := finishCompaction(dir); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		segmentName(0) + ".log":   "old log 0",
		segmentName(0) + ".index": "old index 0",
		segmentName(5) + ".log":   "new log 5",
		segmentName(5) + ".index": "new index 5",
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != len(want) {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files after recovery: %v", names)
	}
	for name, content := range want {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != content {
			t.Errorf("%s = %q, want %q", name, b, content)
		}
	}
}

// TestCleanerRacesReaders runs retention and compaction while readers and
// a writer are busy, under -race.
func TestCleanerRacesReaders(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	l := openTest(t, t.TempDir(), cleanerOptions(clock))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	l.CreateTopic(ctx, "busy", logstore.TopicConfig{Partitions: 1, Compact: true, RetentionBytes: 20000, Configs: map[string]string{"cleanup.policy": "compact,delete"}})
	tp := logstore.TopicPartition{Topic: "busy", Partition: 0}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			tx, _ := l.Begin(ctx, "")
			tx.Produce(ctx, "busy", logstore.Record{Key: []byte(fmt.Sprint(i % 7)), Value: []byte(fmt.Sprint(i))})
			tx.Commit(context.Background())
		}
	}()
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			l.clean(context.Background())
		}
	}()
	go func() {
		defer wg.Done()
		var next int64
		for ctx.Err() == nil {
			recs, err := l.Fetch(ctx, tp, next, logstore.FetchOptions{MaxWait: 10 * time.Millisecond})
			if errors.Is(err, logstore.ErrOffsetOutOfRange) {
				offs, _ := l.ListOffsets(ctx, tp)
				next = offs.Start
				continue
			}
			if err != nil && ctx.Err() == nil {
				t.Errorf("Fetch: %v", err)
				return
			}
			for _, r := range recs {
				if r.Offset < next {
					t.Errorf("offset went back from %d to %d", next, r.Offset)
				}
				next = r.Offset + 1
			}
		}
	}()
	wg.Wait()
}
