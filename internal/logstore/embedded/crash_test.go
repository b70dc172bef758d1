package embedded

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

// The crash test re-runs this test binary as a child that commits
// transactions in a loop, kills it with SIGKILL at an arbitrary moment, and
// checks what a reopened log holds.
const (
	crashDirEnv  = "SLUICE_EMBEDDED_CRASH_DIR"
	crashSyncEnv = "SLUICE_EMBEDDED_CRASH_SYNC"
	crashTopic   = "crash"
	crashParts   = 3
	crashPerPart = 50
	crashGroup   = "g"
	// Noise writers commit concurrently to their own partitions of
	// noiseTopic, so that kills also land in group commits that mix them
	// with the main writer's transactions.
	noiseTopic   = "noise"
	noiseWriters = 2
	noisePerTxn  = 20
)

var crashTP = logstore.TopicPartition{Topic: crashTopic, Partition: 0}

func crashOptions(sync string) Options {
	mode, _ := ParseSyncMode(sync)
	// Small segments so that kills also land during segment rolls.
	return Options{Sync: mode, SegmentBytes: 64 << 10, IndexIntervalBytes: 1024, JournalSnapshotBytes: 16 << 10}
}

// TestCrashChild is the child's body; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		return
	}
	if err := crashWriter(dir, os.Getenv(crashSyncEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(3)
	}
}

// crashWriter commits transaction after transaction, each writing
// crashPerPart records to every partition and the group offset (the next
// transaction number), and appends each committed number to progress.
func crashWriter(dir, sync string) error {
	ctx := context.Background()
	l, err := Open(dir, crashOptions(sync))
	if err != nil {
		return err
	}
	if err := l.CreateTopic(ctx, crashTopic, logstore.TopicConfig{Partitions: crashParts}); err != nil && !strings.Contains(err.Error(), logstore.ErrTopicExists.Error()) {
		return err
	}
	if err := l.CreateTopic(ctx, noiseTopic, logstore.TopicConfig{Partitions: noiseWriters}); err != nil && !strings.Contains(err.Error(), logstore.ErrTopicExists.Error()) {
		return err
	}
	errs := make(chan error, noiseWriters)
	for w := int32(0); w < noiseWriters; w++ {
		go func() { errs <- noiseWriter(ctx, l, w) }()
	}
	offs, err := l.CommittedOffsets(ctx, crashGroup, []logstore.TopicPartition{crashTP})
	if err != nil {
		return err
	}
	next := offs[crashTP]
	progress, err := os.OpenFile(filepath.Join(dir, "progress"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	value := strings.Repeat("v", 300)
	for i := next; ; i++ {
		tx, err := l.Begin(ctx, "crash-writer")
		if err != nil {
			return err
		}
		for p := int32(0); p < crashParts; p++ {
			recs := make([]logstore.Record, crashPerPart)
			for j := range recs {
				recs[j] = logstore.Record{
					Key:       []byte(fmt.Sprintf("%d/%d", i, j)),
					Value:     []byte(value),
					Partition: p,
					Timestamp: i,
				}
			}
			if err := tx.Produce(ctx, crashTopic, recs...); err != nil {
				return err
			}
		}
		if err := tx.CommitOffsets(ctx, crashGroup, map[logstore.TopicPartition]int64{crashTP: i + 1}); err != nil {
			return err
		}
		if _, err := tx.Commit(ctx); err != nil {
			return err
		}
		fmt.Fprintf(progress, "%d\n", i)
		select {
		case err := <-errs:
			return err
		default:
		}
	}
}

// noiseWriter commits transactions of noisePerTxn records to partition w
// of noiseTopic, with the group offset of that partition as its counter.
func noiseWriter(ctx context.Context, l *Log, w int32) error {
	tp := logstore.TopicPartition{Topic: noiseTopic, Partition: w}
	offs, err := l.CommittedOffsets(ctx, crashGroup, []logstore.TopicPartition{tp})
	if err != nil {
		return err
	}
	for i := offs[tp]; ; i++ {
		tx, err := l.Begin(ctx, fmt.Sprintf("noise-%d", w))
		if err != nil {
			return err
		}
		for j := 0; j < noisePerTxn; j++ {
			r := logstore.Record{Key: []byte(fmt.Sprintf("%d/%d", i, j)), Value: []byte("noise"), Partition: w}
			if err := tx.Produce(ctx, noiseTopic, r); err != nil {
				return err
			}
		}
		if err := tx.CommitOffsets(ctx, crashGroup, map[logstore.TopicPartition]int64{tp: i + 1}); err != nil {
			return err
		}
		if _, err := tx.Commit(ctx); err != nil {
			return err
		}
	}
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: spawns and kills child processes")
	}
	for _, sync := range []string{"always", "never"} {
		t.Run(sync, func(t *testing.T) {
			dir := t.TempDir()
			for round := 0; round < 4; round++ {
				committed := runAndKill(t, dir, sync, time.Duration(150+round*120)*time.Millisecond)
				checkCrashState(t, dir, sync, committed)
			}
		})
	}
}

// runAndKill starts a writer child, lets it run for about d after its first
// commit, SIGKILLs it, and returns the transaction numbers it reported.
func runAndKill(t *testing.T, dir, sync string, d time.Duration) []int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashSyncEnv+"="+sync)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	before := len(readProgress(t, dir))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(readProgress(t, dir)) <= before {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the child committed nothing in 30s: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(d)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child ended on its own (%v): %s", err, stderr.String())
	}
	return readProgress(t, dir)
}

func readProgress(t *testing.T, dir string) []int64 {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "progress"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// A line cut by the kill has no newline yet; Scanner still
		// returns it, but it is only a number if it is complete.
		n, err := strconv.ParseInt(sc.Text(), 10, 64)
		if err == nil {
			out = append(out, n)
		}
	}
	return out
}

// checkCrashState reopens the log and checks that every reported
// transaction is whole, no transaction is partly visible, offsets are
// dense, the group offset matches the data, and writing continues densely.
func checkCrashState(t *testing.T, dir, sync string, reported []int64) {
	t.Helper()
	ctx := context.Background()
	l, err := Open(dir, crashOptions(sync))
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer l.Close()
	group, err := l.CommittedOffsets(ctx, crashGroup, []logstore.TopicPartition{crashTP})
	if err != nil {
		t.Fatal(err)
	}
	txns := group[crashTP] // transactions 0..txns-1 are committed
	if n := len(reported); n > 0 && reported[n-1] >= txns {
		t.Fatalf("the child reported transaction %d committed, the log holds only %d", reported[n-1], txns)
	}
	for p := int32(0); p < crashParts; p++ {
		checkTxnPartition(t, l, logstore.TopicPartition{Topic: crashTopic, Partition: p}, txns, crashPerPart)
	}
	for w := int32(0); w < noiseWriters; w++ {
		tp := logstore.TopicPartition{Topic: noiseTopic, Partition: w}
		g, err := l.CommittedOffsets(ctx, crashGroup, []logstore.TopicPartition{tp})
		if err != nil {
			t.Fatal(err)
		}
		checkTxnPartition(t, l, tp, g[tp], noisePerTxn)
	}
	// Writing continues densely after recovery: the checker commits the
	// next transaction exactly as the child would.
	tx, err := l.Begin(ctx, "crash-writer")
	if err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < crashParts; p++ {
		for j := 0; j < crashPerPart; j++ {
			r := logstore.Record{Key: []byte(fmt.Sprintf("%d/%d", txns, j)), Partition: p, Timestamp: txns}
			if err := tx.Produce(ctx, crashTopic, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.CommitOffsets(ctx, crashGroup, map[logstore.TopicPartition]int64{crashTP: txns + 1}); err != nil {
		t.Fatal(err)
	}
	got, err := tx.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o := got[crashTP][0]; o != txns*crashPerPart {
		t.Fatalf("first offset after recovery = %d, want %d", o, txns*crashPerPart)
	}
	t.Logf("recovered %d transactions (%d reported)", txns, len(reported))
}

// checkTxnPartition checks that tp holds exactly txns transactions of per
// records keyed "txn/index", at dense offsets from 0.
func checkTxnPartition(t *testing.T, l *Log, tp logstore.TopicPartition, txns int64, per int) {
	t.Helper()
	ctx := context.Background()
	offs, err := l.ListOffsets(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	if want := txns * int64(per); offs.End != want || offs.Start != 0 {
		t.Fatalf("%v: offsets %+v, want [0, %d) for %d transactions", tp, offs, want, txns)
	}
	var next int64
	for next < offs.End {
		recs, err := l.Fetch(ctx, tp, next, logstore.FetchOptions{MaxRecords: 5000, MaxBytes: 4 << 20})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Offset != next {
				t.Fatalf("%v: offset %d where %d was expected (offsets must be dense)", tp, r.Offset, next)
			}
			want := fmt.Sprintf("%d/%d", next/int64(per), next%int64(per))
			if string(r.Key) != want {
				t.Fatalf("%v offset %d: key %q, want %q", tp, r.Offset, r.Key, want)
			}
			next++
		}
	}
}
