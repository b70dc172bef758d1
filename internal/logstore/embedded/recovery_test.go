package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sluicedb/sluice/internal/logstore"
)

func commitN(t *testing.T, l *Log, topic string, part int32, from, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	tx, err := l.Begin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < from+n; i++ {
		r := logstore.Record{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i)), Timestamp: int64(i), Partition: part}
		if err := tx.Produce(ctx, topic, r); err != nil {
			t.Fatal(err)
		}
	}
	offs, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return offs[logstore.TopicPartition{Topic: topic, Partition: part}]
}

func readAll(t *testing.T, l *Log, topic string, part int32) []logstore.Record {
	t.Helper()
	ctx := context.Background()
	tp := logstore.TopicPartition{Topic: topic, Partition: part}
	offs, err := l.ListOffsets(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	var out []logstore.Record
	for next := offs.Start; next < offs.End; {
		recs, err := l.Fetch(ctx, tp, next, logstore.FetchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		out = append(out, recs...)
		next = recs[len(recs)-1].Offset + 1
	}
	return out
}

func checkDense(t *testing.T, recs []logstore.Record, n int) {
	t.Helper()
	if len(recs) != n {
		t.Fatalf("%d records, want %d", len(recs), n)
	}
	for i, r := range recs {
		if r.Offset != int64(i) || string(r.Value) != fmt.Sprintf("v%d", i) {
			t.Fatalf("record %d: offset %d value %q", i, r.Offset, r.Value)
		}
	}
}

func lastSegmentPath(t *testing.T, dir, topic string, part int32) string {
	t.Helper()
	pd := filepath.Join(dir, "topics", topic, fmt.Sprint(part))
	bases, err := listSegments(pd)
	if err != nil || len(bases) == 0 {
		t.Fatalf("no segments in %s: %v", pd, err)
	}
	return filepath.Join(pd, segmentName(bases[len(bases)-1])+".log")
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestReopenKeepsState(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	opts := Options{SegmentBytes: 2048, IndexIntervalBytes: 100}
	l := openTest(t, dir, opts)
	cfg := logstore.TopicConfig{Partitions: 2, Compact: true, Configs: map[string]string{"cleanup.policy": "compact", "x": "y"}}
	if err := l.CreateTopic(ctx, "t", cfg); err != nil {
		t.Fatal(err)
	}
	commitN(t, l, "t", 1, 0, 100)
	tx, _ := l.Begin(ctx, "")
	tx.CommitOffsets(ctx, "grp", map[logstore.TopicPartition]int64{{Topic: "t", Partition: 1}: 77})
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openTest(t, dir, opts)
	info, err := l.DescribeTopic(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if info.Partitions != 2 || !info.Config.Compact || info.Config.Configs["x"] != "y" || info.Replicas != 1 {
		t.Errorf("after reopen the topic is %+v", info)
	}
	checkDense(t, readAll(t, l, "t", 1), 100)
	if got := commitN(t, l, "t", 1, 100, 1); got[0] != 100 {
		t.Errorf("offsets after reopen start at %d, want 100", got[0])
	}
	g, _ := l.CommittedOffsets(ctx, "grp", []logstore.TopicPartition{{Topic: "t", Partition: 1}})
	if g[logstore.TopicPartition{Topic: "t", Partition: 1}] != 77 {
		t.Errorf("group offsets after reopen: %v", g)
	}
	if _, err := Open(dir, opts); !errors.Is(err, ErrLocked) {
		t.Errorf("a second Open of a directory in use = %v, want ErrLocked", err)
	}
}

// TestTornTail damages the ends of segments and of the journal the way a
// crash or a lost write would, and checks what recovery makes of it.
func TestTornTail(t *testing.T) {
	tests := []struct {
		name string
		// damage runs on the closed log's directory.
		damage func(t *testing.T, dir string)
		// want is the number of records that must survive of 30 (3
		// transactions of 10).
		want int
	}{
		{"garbage after the last record", func(t *testing.T, dir string) {
			appendFile(t, lastSegmentPath(t, dir, "t", 0), []byte("\x20\x00\x00\x00garbage that is not a record"))
		}, 30},
		{"uncommitted whole records", func(t *testing.T, dir string) {
			// A record frame copied from the start of the segment is valid
			// but carries an old offset and no journal entry.
			seg := lastSegmentPath(t, dir, "t", 0)
			b, _ := os.ReadFile(seg)
			appendFile(t, seg, b[:frameLen(b)])
		}, 30},
		// The OS lost the end of a committed transaction (Sync=never and
		// a power loss): the whole transaction goes, not just its tail.
		{"segment cut inside the last record", func(t *testing.T, dir string) {
			seg := lastSegmentPath(t, dir, "t", 0)
			os.Truncate(seg, fileSize(t, seg)-3)
		}, 20},
		{"segment past the end", func(t *testing.T, dir string) {
			pd := filepath.Join(dir, "topics", "t", "0")
			os.WriteFile(filepath.Join(pd, segmentName(30)+".log"), []byte("uncommitted roll"), 0o644)
		}, 30},
		{"journal with a torn entry", func(t *testing.T, dir string) {
			appendFile(t, filepath.Join(dir, journalFile), []byte{0x40, 0, 0, 0, 1, 2, 3})
		}, 30},
		{"journal cut inside the last entry", func(t *testing.T, dir string) {
			j := filepath.Join(dir, journalFile)
			os.Truncate(j, fileSize(t, j)-2)
		}, 20},
		{"journal last entry corrupted", func(t *testing.T, dir string) {
			j := filepath.Join(dir, journalFile)
			b, _ := os.ReadFile(j)
			b[len(b)-1] ^= 0xff
			os.WriteFile(j, b, 0o644)
		}, 20},
		{"index entries past the data", func(t *testing.T, dir string) {
			seg := lastSegmentPath(t, dir, "t", 0)
			idx := seg[:len(seg)-len(".log")] + ".index"
			var b []byte
			b = encodeIndexEntry(b, 0, indexEntry{offset: 1000, pos: 1 << 20})
			appendFile(t, idx, b)
		}, 30},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := Options{IndexIntervalBytes: 64}
			l := openTest(t, dir, opts)
			if err := l.CreateTopic(context.Background(), "t", logstore.TopicConfig{Partitions: 1}); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				commitN(t, l, "t", 0, i*10, 10)
			}
			l.Close()
			tc.damage(t, dir)
			l = openTest(t, dir, opts)
			checkDense(t, readAll(t, l, "t", 0), tc.want)
			if got := commitN(t, l, "t", 0, tc.want, 5); got[0] != int64(tc.want) {
				t.Fatalf("writing after recovery starts at %d, want %d", got[0], tc.want)
			}
			checkDense(t, readAll(t, l, "t", 0), tc.want+5)
			// And the result survives another reopen.
			l.Close()
			l = openTest(t, dir, opts)
			checkDense(t, readAll(t, l, "t", 0), tc.want+5)
		})
	}
}

// TestLostWritesKeepAtomicity simulates a power loss under Sync=never in
// which one partition lost the records of the last transaction and another
// kept them: recovery must drop the transaction from both, and its group
// offsets too.
func TestLostWritesKeepAtomicity(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	opts := Options{Sync: SyncNever}
	l := openTest(t, dir, opts)
	l.CreateTopic(ctx, "t", logstore.TopicConfig{Partitions: 2})
	tp0 := logstore.TopicPartition{Topic: "t", Partition: 0}
	var sizes []int64
	for i := 0; i < 3; i++ {
		tx, _ := l.Begin(ctx, "w")
		for p := int32(0); p < 2; p++ {
			for j := 0; j < 5; j++ {
				n := i*5 + j
				tx.Produce(ctx, "t", logstore.Record{Value: []byte(fmt.Sprintf("v%d", n)), Partition: p})
			}
		}
		tx.CommitOffsets(ctx, "g", map[logstore.TopicPartition]int64{tp0: int64(i + 1)})
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, fileSize(t, lastSegmentPath(t, dir, "t", 1)))
	}
	l.Close()
	// Partition 1 lost the last transaction's records; partition 0 did not.
	os.Truncate(lastSegmentPath(t, dir, "t", 1), sizes[1])
	l = openTest(t, dir, opts)
	for p := int32(0); p < 2; p++ {
		checkDense(t, readAll(t, l, "t", p), 10)
	}
	g, _ := l.CommittedOffsets(ctx, "g", []logstore.TopicPartition{tp0})
	if g[tp0] != 2 {
		t.Errorf("group offset after recovery = %d, want 2 (the lost transaction's 3 must go)", g[tp0])
	}
	if got := commitN(t, l, "t", 0, 10, 1); got[0] != 10 {
		t.Errorf("next offset = %d, want 10", got[0])
	}
}

func appendFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func TestJournalSnapshot(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	opts := Options{Sync: SyncNever, JournalSnapshotBytes: 512}
	l := openTest(t, dir, opts)
	for _, name := range []string{"a", "b", "gone"} {
		if err := l.CreateTopic(ctx, name, logstore.TopicConfig{Partitions: 2}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 200; i++ {
		tx, _ := l.Begin(ctx, "w")
		tx.Produce(ctx, "a", logstore.Record{Value: []byte(fmt.Sprintf("v%d", i)), Partition: int32(i % 2)})
		tx.CommitOffsets(ctx, "g", map[logstore.TopicPartition]int64{{Topic: "b", Partition: 1}: int64(i), {Topic: "gone", Partition: 0}: 5})
		if _, err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.DeleteTopic(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if fileSize(t, filepath.Join(dir, journalFile)) > 2048 {
		t.Errorf("journal is %d bytes; snapshots should keep it near %d", fileSize(t, filepath.Join(dir, journalFile)), opts.JournalSnapshotBytes)
	}
	l.Close()
	l = openTest(t, dir, opts)
	for p := int32(0); p < 2; p++ {
		if offs, _ := l.ListOffsets(ctx, logstore.TopicPartition{Topic: "a", Partition: p}); offs.End != 100 {
			t.Errorf("a/%d ends at %d after reopen, want 100", p, offs.End)
		}
	}
	g, _ := l.CommittedOffsets(ctx, "g", []logstore.TopicPartition{{Topic: "b", Partition: 1}, {Topic: "gone", Partition: 0}})
	if len(g) != 1 || g[logstore.TopicPartition{Topic: "b", Partition: 1}] != 199 {
		t.Errorf("group offsets after reopen = %v, want only b/1 = 199", g)
	}
	// A re-created "gone" does not inherit the old offsets.
	l.CreateTopic(ctx, "gone", logstore.TopicConfig{Partitions: 1})
	g, _ = l.CommittedOffsets(ctx, "g", []logstore.TopicPartition{{Topic: "gone", Partition: 0}})
	if len(g) != 0 {
		t.Errorf("a re-created topic inherited group offsets %v", g)
	}
}

func TestRecordTooLarge(t *testing.T) {
	l := openTest(t, t.TempDir(), Options{MaxRecordBytes: 1000})
	ctx := context.Background()
	l.CreateTopic(ctx, "t", logstore.TopicConfig{Partitions: 1})
	tx, _ := l.Begin(ctx, "")
	err := tx.Produce(ctx, "t", logstore.Record{Value: make([]byte, 2000)})
	if !errors.Is(err, logstore.ErrRecordTooLarge) {
		t.Errorf("Produce of 2000 bytes with MaxRecordBytes 1000 = %v", err)
	}
	l.CreateTopic(ctx, "big", logstore.TopicConfig{Partitions: 1, Configs: map[string]string{"max.message.bytes": "5000"}})
	if err := tx.Produce(ctx, "big", logstore.Record{Value: make([]byte, 2000)}); err != nil {
		t.Errorf("Produce of 2000 bytes to a topic with max.message.bytes=5000: %v", err)
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"zero", Options{}, true},
		{"segment too big", Options{SegmentBytes: 2 << 30}, false},
		{"segment too small", Options{SegmentBytes: 100}, false},
		{"bad sync", Options{Sync: SyncMode(9)}, false},
		{"record too big", Options{MaxRecordBytes: 1 << 30}, false},
	}
	for _, tc := range tests {
		o := tc.opts
		o.EnsureDefaults()
		if err := o.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
	for _, s := range []string{"always", "interval", "never"} {
		m, err := ParseSyncMode(s)
		if err != nil || m.String() != s {
			t.Errorf("ParseSyncMode(%q) = %v, %v", s, m, err)
		}
	}
	if _, err := ParseSyncMode("sometimes"); err == nil {
		t.Errorf("ParseSyncMode accepted nonsense")
	}
}
