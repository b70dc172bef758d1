package pebblestore_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
)

// The crash test re-executes the test binary as a child that commits
// batches in a loop, SIGKILLs it at a random point, reopens the DB and
// checks that every batch was all-or-nothing: each store's keys all carry
// the value of one iteration, that iteration is the store's checkpoint,
// every store agrees on it, and no synced commit the child acknowledged is
// missing.

const (
	crashEnv    = "SLUICE_STATE_CRASH_DIR"
	crashStores = 3
	crashKeys   = 40
	crashValue  = 512
)

func crashStoreName(i int) string { return fmt.Sprintf("crash-%d", i) }

// crashValueOf is the value every key of iteration iter holds: the
// iteration number padded so that commits are big enough to be cut.
func crashValueOf(iter int64) []byte {
	v := []byte(strconv.FormatInt(iter, 10) + ":")
	return append(v, bytes.Repeat([]byte{'x'}, crashValue)...)
}

func TestCrashAtomicity(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	rounds := 6
	if testing.Short() {
		rounds = 2
	}
	dir := t.TempDir()
	var acked int64 = -1
	for round := range rounds {
		acked = max(acked, runCrashChild(t, dir, time.Duration(30+round*40)*time.Millisecond))
		got := verifyCrashState(t, dir)
		if got < acked {
			t.Fatalf("round %d: checkpoint %d is behind acknowledged synced commit %d", round, got, acked)
		}
		t.Logf("round %d: recovered at iteration %d (last synced ack %d)", round, got, acked)
	}
}

// runCrashChild starts the child, lets it commit for about d after its
// first acknowledgement, kills it and returns the last iteration it
// acknowledged as synced.
func runCrashChild(t *testing.T, dir string, d time.Duration) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashAtomicity$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acks := make(chan int64, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
				if i, err := strconv.ParseInt(n, 10, 64); err == nil {
					acks <- i
				}
			}
		}
	}()
	var last int64 = -1
	timeout := time.After(20 * time.Second)
	select {
	case last = <-acks:
	case <-done:
		t.Fatalf("child exited before committing: %s", stderr.String())
	case <-timeout:
		t.Fatal("child made no progress")
	}
	time.Sleep(d)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	_ = cmd.Wait()
	close(acks)
	for i := range acks {
		last = max(last, i)
	}
	return last
}

// crashChild commits forever; only SIGKILL stops it. Every other commit is
// synced and acknowledged on stdout once Commit returns.
func crashChild(dir string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	db, err := pebblestore.Open(dir, pebblestore.Options{MemTableSize: 1 << 20})
	if err != nil {
		fail(err)
	}
	stores := make([]state.Store, crashStores)
	for i := range stores {
		if stores[i], err = db.Store(crashStoreName(i)); err != nil {
			fail(err)
		}
	}
	iter := int64(0)
	if off, ok := db.Checkpoint(crashStoreName(0)); ok {
		iter = off + 1
	}
	b := db.NewBatch()
	w := bufio.NewWriter(os.Stdout)
	for ; ; iter++ {
		v := crashValueOf(iter)
		for _, s := range stores {
			view := b.Store(s)
			// Clear and rewrite, so a torn batch would show as missing
			// keys as well as mixed values.
			if err := view.DeleteRange(nil, nil); err != nil {
				fail(err)
			}
			for k := range crashKeys {
				if err := view.Put(fmt.Appendf(nil, "k%03d", k), v); err != nil {
					fail(err)
				}
			}
			if err := b.SetCheckpoint(s, iter); err != nil {
				fail(err)
			}
		}
		sync := iter%2 == 0
		if err := b.Commit(sync); err != nil {
			fail(err)
		}
		if sync {
			fmt.Fprintf(w, "ack %d\n", iter)
			if err := w.Flush(); err != nil {
				fail(err)
			}
		}
	}
}

// verifyCrashState reopens the DB and checks it; it returns the iteration
// the state reflects, or -1 if none committed.
func verifyCrashState(t *testing.T, dir string) int64 {
	t.Helper()
	db, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	return checkCrashDB(t, db)
}
