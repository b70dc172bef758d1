package statetest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/state"
)

// windows renders what a window fetch returns; it is curried so a fetch
// call can be passed to it directly.
func windows(t *testing.T) func(it *state.WindowIterator, err error) string {
	return func(it *state.WindowIterator, err error) string {
		t.Helper()
		must(t, err)
		var out []string
		for it.Next() {
			out = append(out, fmt.Sprintf("%s@%d=%s", it.Key(), it.Start(), it.Value()))
		}
		must(t, it.Close())
		return strings.Join(out, " ")
	}
}

// sessions renders what a session find returns, curried like windows.
func sessions(t *testing.T) func(it *state.SessionIterator, err error) string {
	return func(it *state.SessionIterator, err error) string {
		t.Helper()
		must(t, err)
		var out []string
		for it.Next() {
			s := it.Session()
			out = append(out, fmt.Sprintf("%s[%d,%d]=%s", s.Key, s.Start, s.End, s.Value))
		}
		must(t, it.Close())
		return strings.Join(out, " ")
	}
}

// windowOpts uses small segments so that the tests cross segment bounds.
func windowOpts(retention int64) state.WindowOptions {
	return state.WindowOptions{SegmentOptions: state.SegmentOptions{Retention: retention, SegmentInterval: 10}}
}

func testWindow(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	s := mustStore(t, db, "win")
	b := db.NewBatch()
	defer b.Close()
	ws, err := state.NewWindowStore(b.Store(s), windowOpts(1000))
	must(t, err)
	// Keys that are prefixes of each other and contain the escape byte
	// must neither collide nor mis-sort.
	puts := []struct {
		key   string
		start int64
		val   string
	}{
		{"a", 0, "a0"}, {"a", 5, "a5"}, {"a", 15, "a15"}, {"a", 25, "a25"},
		{"ab", 5, "ab5"}, {"a\x00", 5, "a~5"}, {"b", 12, "b12"}, {"", 3, "e3"},
	}
	for _, p := range puts {
		must(t, ws.Put([]byte(p.key), p.start, []byte(p.val)))
	}
	// Reads through the batch see the uncommitted windows.
	tests := []struct {
		name string
		got  func() (*state.WindowIterator, error)
		want string
	}{
		{"fetch one key", func() (*state.WindowIterator, error) { return ws.Fetch(bytesOf("a"), 0, 25) }, "a@0=a0 a@5=a5 a@15=a15 a@25=a25"},
		{"fetch inclusive bounds", func() (*state.WindowIterator, error) { return ws.Fetch(bytesOf("a"), 5, 15) }, "a@5=a5 a@15=a15"},
		{"fetch backward", func() (*state.WindowIterator, error) { return ws.FetchBackward(bytesOf("a"), 0, 100) }, "a@25=a25 a@15=a15 a@5=a5 a@0=a0"},
		{"fetch prefix key", func() (*state.WindowIterator, error) { return ws.Fetch(bytesOf("ab"), 0, 100) }, "ab@5=ab5"},
		{"fetch escaped key", func() (*state.WindowIterator, error) { return ws.Fetch(bytesOf("a\x00"), 0, 100) }, "a\x00@5=a~5"},
		{"fetch empty key", func() (*state.WindowIterator, error) { return ws.Fetch(bytesOf(""), 0, 100) }, "@3=e3"},
		{"fetch missing", func() (*state.WindowIterator, error) { return ws.Fetch(bytesOf("zz"), 0, 100) }, ""},
		{"fetch empty range", func() (*state.WindowIterator, error) { return ws.Fetch(bytesOf("a"), 6, 14) }, ""},
		{"fetch all", func() (*state.WindowIterator, error) { return ws.FetchAll(0, 9) }, "@3=e3 a@0=a0 a@5=a5 a\x00@5=a~5 ab@5=ab5"},
		{"fetch all later", func() (*state.WindowIterator, error) { return ws.FetchAll(10, 20) }, "a@15=a15 b@12=b12"},
		{"fetch range", func() (*state.WindowIterator, error) { return ws.FetchRange(bytesOf("a\x00"), bytesOf("b"), 0, 100) }, "a\x00@5=a~5 ab@5=ab5 b@12=b12"},
		{"fetch range open", func() (*state.WindowIterator, error) { return ws.FetchRange(nil, bytesOf("a"), 4, 100) }, "a@5=a5 a@15=a15 a@25=a25"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it, err := tc.got()
			if got := windows(t)(it, err); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	if v, err := ws.Get(bytesOf("a"), 15); err != nil || string(v) != "a15" {
		t.Errorf("Get(a, 15) = %q, %v", v, err)
	}
	if _, err := ws.Get(bytesOf("a"), 16); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Get(a, 16): %v", err)
	}
	must(t, ws.Put(bytesOf("a"), 5, nil))
	if got := windows(t)(ws.Fetch(bytesOf("a"), 0, 9)); got != "a@0=a0" {
		t.Errorf("after delete: %q", got)
	}
	must(t, b.Commit(false))

	// A read-only window store over the committed store sees the commit.
	ro, err := state.NewWindowStore(s, windowOpts(1000))
	must(t, err)
	if got := windows(t)(ro.Fetch(bytesOf("a"), 0, 100)); got != "a@0=a0 a@15=a15 a@25=a25" {
		t.Errorf("committed: %q", got)
	}
	snap, err := db.NewSnapshot()
	must(t, err)
	defer snap.Close()
	sw, err := state.NewWindowStore(snap.Store(s), windowOpts(1000))
	must(t, err)
	if err := sw.Put(bytesOf("a"), 30, bytesOf("x")); !errors.Is(err, state.ErrReadOnly) {
		t.Errorf("put through snapshot: %v", err)
	}
	if st, ok, err := sw.StreamTime(); err != nil || !ok || st != 25 {
		t.Errorf("stream time = %d, %v, %v", st, ok, err)
	}
}

func testWindowExpiry(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	s := mustStore(t, db, "winexp")
	b := db.NewBatch()
	defer b.Close()
	ws, err := state.NewWindowStore(b.Store(s), windowOpts(20))
	must(t, err)
	for _, start := range []int64{0, 5, 10, 15, 20} {
		must(t, ws.Put(bytesOf("k"), start, fmt.Appendf(nil, "v%d", start)))
	}
	// Stream time 20, retention 20: windows starting at or before 0 are gone.
	if got := windows(t)(ws.Fetch(bytesOf("k"), math.MinInt64, math.MaxInt64)); got != "k@5=v5 k@10=v10 k@15=v15 k@20=v20" {
		t.Errorf("stream time 20: %q", got)
	}
	if err := ws.Put(bytesOf("k"), 0, bytesOf("late")); !errors.Is(err, state.ErrExpired) {
		t.Errorf("late put: %v", err)
	}
	must(t, ws.Put(bytesOf("k"), 1, bytesOf("v1")))
	// Advancing stream time to 41 expires through 21: segments [0,10) and
	// [10,20) are deleted outright, while k@20 in segment [20,30) stays on
	// disk, hidden, until that whole segment expires.
	must(t, ws.Put(bytesOf("j"), 41, bytesOf("v41")))
	if got := windows(t)(ws.FetchAll(math.MinInt64, math.MaxInt64)); got != "j@41=v41" {
		t.Errorf("stream time 41: %q", got)
	}
	must(t, b.Commit(false))
	// Expired segments are physically gone, not merely hidden.
	raw := scan(t, s, state.IterOptions{Start: []byte{0x01}})
	if len(raw) != 2 {
		t.Errorf("raw records after expiry: %d, want 2", len(raw))
	}
}

func testWindowDuplicates(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	s := mustStore(t, db, "windup")
	b := db.NewBatch()
	defer b.Close()
	opts := windowOpts(100)
	opts.RetainDuplicates = true
	ws, err := state.NewWindowStore(b.Store(s), opts)
	must(t, err)
	for _, v := range []string{"x", "y", "z"} {
		must(t, ws.Put(bytesOf("k"), 7, bytesOf(v)))
	}
	must(t, ws.Put(bytesOf("k"), 7, nil)) // ignored with duplicates
	must(t, b.Commit(false))
	// A new window store over the same store continues the sequence, so a
	// restarted task does not overwrite earlier duplicates.
	ws, err = state.NewWindowStore(b.Store(s), opts)
	must(t, err)
	must(t, ws.Put(bytesOf("k"), 7, bytesOf("w")))
	if got := windows(t)(ws.Fetch(bytesOf("k"), 0, 10)); got != "k@7=x k@7=y k@7=z k@7=w" {
		t.Errorf("duplicates: %q", got)
	}
	if v, err := ws.Get(bytesOf("k"), 7); err != nil || string(v) != "x" {
		t.Errorf("Get = %q, %v", v, err)
	}
}

func testWindowRestart(t *testing.T, open Opener) {
	dir := t.TempDir()
	db := open(t, dir)
	s := mustStore(t, db, "winrs")
	b := db.NewBatch()
	ws, err := state.NewWindowStore(b.Store(s), windowOpts(50))
	must(t, err)
	must(t, ws.Put(bytesOf("k"), 100, bytesOf("v")))
	must(t, b.SetCheckpoint(s, 7))
	must(t, b.Commit(true))
	must(t, b.Close())
	must(t, db.Close())

	db = open(t, dir)
	defer func() { must(t, db.Close()) }()
	s = mustStore(t, db, "winrs")
	b = db.NewBatch()
	defer b.Close()
	ws, err = state.NewWindowStore(b.Store(s), windowOpts(50))
	must(t, err)
	// Stream time survives the restart, so a late window stays rejected.
	if st, ok, err := ws.StreamTime(); err != nil || !ok || st != 100 {
		t.Errorf("stream time after restart = %d, %v, %v", st, ok, err)
	}
	if err := ws.Put(bytesOf("k"), 10, bytesOf("late")); !errors.Is(err, state.ErrExpired) {
		t.Errorf("late put after restart: %v", err)
	}
}

func testSession(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	s := mustStore(t, db, "sess")
	b := db.NewBatch()
	defer b.Close()
	ss, err := state.NewSessionStore(b.Store(s), state.SegmentOptions{Retention: 100, SegmentInterval: 10})
	must(t, err)
	puts := []struct {
		key        string
		start, end int64
	}{
		{"a", 0, 5}, {"a", 10, 12}, {"a", 30, 45}, {"b", 11, 11}, {"ab", 3, 20},
	}
	for _, p := range puts {
		must(t, ss.Put(bytesOf(p.key), p.start, p.end, fmt.Appendf(nil, "%s%d", p.key, p.start)))
	}
	tests := []struct {
		name string
		got  func() (*state.SessionIterator, error)
		want string
	}{
		{"fetch", func() (*state.SessionIterator, error) { return ss.Fetch(bytesOf("a")) }, "a[0,5]=a0 a[10,12]=a10 a[30,45]=a30"},
		{"find overlapping", func() (*state.SessionIterator, error) { return ss.FindSessions(bytesOf("a"), 6, 40) }, "a[10,12]=a10 a[30,45]=a30"},
		{"find by end only", func() (*state.SessionIterator, error) { return ss.FindSessions(bytesOf("a"), 12, 12) }, "a[10,12]=a10"},
		{"find none", func() (*state.SessionIterator, error) { return ss.FindSessions(bytesOf("a"), 13, 29) }, ""},
		{"range", func() (*state.SessionIterator, error) { return ss.FindSessionsRange(bytesOf("ab"), nil, 0, 100) }, "b[11,11]=b11 ab[3,20]=ab3"},
		{"all", func() (*state.SessionIterator, error) { return ss.FindSessionsRange(nil, nil, 11, 11) }, "a[10,12]=a10 b[11,11]=b11 ab[3,20]=ab3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it, err := tc.got()
			if got := sessions(t)(it, err); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	if v, err := ss.Get(bytesOf("a"), 10, 12); err != nil || string(v) != "a10" {
		t.Errorf("Get = %q, %v", v, err)
	}
	must(t, ss.Remove(bytesOf("a"), 10, 12))
	if _, err := ss.Get(bytesOf("a"), 10, 12); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("Get after remove: %v", err)
	}
	// Stream time 200 expires every session ending at or before 100.
	must(t, ss.Put(bytesOf("z"), 150, 200, bytesOf("z")))
	if got := sessions(t)(ss.FindSessionsRange(nil, nil, math.MinInt64, math.MaxInt64)); got != "z[150,200]=z" {
		t.Errorf("after expiry: %q", got)
	}
	if err := ss.Put(bytesOf("a"), 90, 100, bytesOf("late")); !errors.Is(err, state.ErrExpired) {
		t.Errorf("late session: %v", err)
	}
	if err := ss.Put(bytesOf("a"), 9, 1, bytesOf("bad")); err == nil {
		t.Error("inverted session accepted")
	}
}

func testSessionMerge(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	s := mustStore(t, db, "sessmerge")
	b := db.NewBatch()
	defer b.Close()
	ss, err := state.NewSessionStore(b.Store(s), state.SegmentOptions{Retention: 1000})
	must(t, err)
	const gap = 10
	// Each step aggregates a count per session as Kafka Streams' session
	// aggregation does: find the mergeable sessions, remove them, put the
	// merged one.
	steps := []struct {
		ts   int64
		want string
	}{
		{100, "k[100,100]=1"},
		{105, "k[100,105]=2"},
		{130, "k[100,105]=2 k[130,130]=1"},
		{120, "k[100,105]=2 k[120,130]=2"}, // joins the later session only
		{115, "k[100,130]=5"},              // bridges both
		{200, "k[100,130]=5 k[200,200]=1"},
	}
	for _, st := range steps {
		start, end, merged, err := ss.Mergeable(bytesOf("k"), st.ts, gap)
		must(t, err)
		count := 1
		for _, m := range merged {
			var n int
			_, _ = fmt.Sscan(string(m.Value), &n)
			count += n
			must(t, ss.Remove(m.Key, m.Start, m.End))
		}
		must(t, ss.Put(bytesOf("k"), start, end, fmt.Appendf(nil, "%d", count)))
		if got := sessions(t)(ss.Fetch(bytesOf("k"))); got != st.want {
			t.Errorf("after %d: got %q, want %q", st.ts, got, st.want)
		}
	}
	must(t, b.Commit(false))
}

// testChangelogRestore writes a window store through a logging view, then
// replays the changelog into an empty store, as a task restores after
// losing its local state, and expects the same windows and stream time.
func testChangelogRestore(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	src, dst := mustStore(t, db, "cl-src"), mustStore(t, db, "cl-dst")
	type rec struct{ k, v []byte }
	var log []rec
	b := db.NewBatch()
	defer b.Close()
	view := state.WithChangelog(b.Store(src), func(k, v []byte) error {
		log = append(log, rec{bytes.Clone(k), bytes.Clone(v)})
		return nil
	})
	opts := windowOpts(30)
	opts.RetainDuplicates = true
	ws, err := state.NewWindowStore(view, opts)
	must(t, err)
	for i, start := range []int64{0, 10, 10, 25, 40, 41} {
		must(t, ws.Put(fmt.Appendf(nil, "k%d", i%2), start, fmt.Appendf(nil, "v%d", i)))
	}
	must(t, view.Put([]byte("raw"), nil))
	must(t, b.Commit(false))

	for _, r := range log {
		if r.v == nil {
			must(t, b.Store(dst).Delete(r.k))
		} else {
			must(t, b.Store(dst).Put(r.k, r.v))
		}
	}
	must(t, b.Commit(false))
	if got := getString(t, dst, "raw"); got != "" {
		t.Errorf("empty value restored as %q", got)
	}
	all := func(s state.Store) string {
		w, err := state.NewWindowStore(s, opts)
		must(t, err)
		st, _, err := w.StreamTime()
		must(t, err)
		return fmt.Sprintf("%s st=%d", windows(t)(w.FetchAll(math.MinInt64, math.MaxInt64)), st)
	}
	want := "k1@25=v3 k0@40=v4 k1@41=v5 st=41"
	if got := all(src); got != want {
		t.Errorf("source: %q, want %q", got, want)
	}
	if got := all(dst); got != want {
		t.Errorf("restored: %q, want %q", got, want)
	}
}

// testWindowDiscard checks that a window store living across batches
// forgets what a discarded batch wrote: its stream time must not stay ahead
// of the store, or it would reject windows that are not expired.
func testWindowDiscard(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	s := mustStore(t, db, "windisc")
	b := db.NewBatch()
	defer b.Close()
	ws, err := state.NewWindowStore(b.Store(s), windowOpts(10))
	must(t, err)
	must(t, ws.Put(bytesOf("k"), 5, bytesOf("a")))
	must(t, b.Commit(false))
	must(t, ws.Put(bytesOf("k"), 100, bytesOf("b")))
	must(t, b.Discard())
	if st, _, err := ws.StreamTime(); err != nil || st != 5 {
		t.Errorf("stream time after discard = %d, %v; want 5", st, err)
	}
	must(t, ws.Put(bytesOf("k"), 6, bytesOf("c")))
	must(t, b.Commit(false))
	if got := windows(t)(ws.Fetch(bytesOf("k"), 0, 100)); got != "k@5=a k@6=c" {
		t.Errorf("after discard and commit: %q", got)
	}
}
