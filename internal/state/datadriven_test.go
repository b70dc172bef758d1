package state_test

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
)

// The files in testdata/ specify the window and session stores' semantics
// as command/output pairs; regenerate the outputs with -rewrite.
//
//	open retention=R [segment=S] [dups]   a fresh store, written through a batch
//	put                                   one "key start value" per line (window)
//	                                      or "key start end value" (session); value "nil" deletes
//	get key=K start=T [end=E]
//	fetch key=K from=A to=B [backward]    window
//	fetch-all from=A to=B [backward]      window
//	fetch-range [lo=K] [hi=K] from=A to=B [backward]
//	find key=K earliest-end=A latest-start=B   session
//	find-range [lo=K] [hi=K] earliest-end=A latest-start=B
//	merge key=K ts=T gap=G               session aggregation of a count
//	stream-time
//	commit
//	raw                                   every record physically in the store

type ddStore struct {
	db    *pebblestore.DB
	store state.Store
	batch state.Batch
	win   *state.WindowStore
	sess  *state.SessionStore
}

func (s *ddStore) close(t *testing.T) {
	if s.db == nil {
		return
	}
	if err := s.batch.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWindowDataDriven(t *testing.T)  { runDataDriven(t, "testdata/window", false) }
func TestSessionDataDriven(t *testing.T) { runDataDriven(t, "testdata/session", true) }

func runDataDriven(t *testing.T, path string, session bool) {
	var s ddStore
	defer func() { s.close(t) }()
	datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
		if d.Cmd != "open" && s.db == nil {
			d.Fatalf(t, "open first")
		}
		switch d.Cmd {
		case "open":
			s.close(t)
			var opts state.SegmentOptions
			d.ScanArgs(t, "retention", &opts.Retention)
			d.MaybeScanArgs(t, "segment", &opts.SegmentInterval)
			db, err := pebblestore.Open("", pebblestore.Options{InMemory: true})
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			st, err := db.Store("dd")
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			s = ddStore{db: db, store: st, batch: db.NewBatch()}
			if session {
				s.sess, err = state.NewSessionStore(s.batch.Store(st), opts)
			} else {
				s.win, err = state.NewWindowStore(s.batch.Store(st), state.WindowOptions{SegmentOptions: opts, RetainDuplicates: d.HasArg("dups")})
			}
			if err != nil {
				return err.Error()
			}
			return ""
		case "put":
			return ddPut(t, d, &s, session)
		case "get":
			var key string
			var start, end int64
			d.ScanArgs(t, "key", &key)
			d.ScanArgs(t, "start", &start)
			var v []byte
			var err error
			if session {
				d.ScanArgs(t, "end", &end)
				v, err = s.sess.Get([]byte(key), start, end)
			} else {
				v, err = s.win.Get([]byte(key), start)
			}
			if err != nil {
				return err.Error()
			}
			return string(v)
		case "fetch", "fetch-all", "fetch-range":
			var key, lo, hi string
			var from, to int64
			d.ScanArgs(t, "from", &from)
			d.ScanArgs(t, "to", &to)
			var it *state.WindowIterator
			var err error
			switch d.Cmd {
			case "fetch":
				d.ScanArgs(t, "key", &key)
				if d.HasArg("backward") {
					it, err = s.win.FetchBackward([]byte(key), from, to)
				} else {
					it, err = s.win.Fetch([]byte(key), from, to)
				}
			case "fetch-all":
				if d.HasArg("backward") {
					it, err = s.win.FetchAllBackward(from, to)
				} else {
					it, err = s.win.FetchAll(from, to)
				}
			default:
				if d.HasArg("backward") {
					it, err = s.win.FetchRangeBackward(optKey(t, d, "lo", &lo), optKey(t, d, "hi", &hi), from, to)
				} else {
					it, err = s.win.FetchRange(optKey(t, d, "lo", &lo), optKey(t, d, "hi", &hi), from, to)
				}
			}
			if err != nil {
				return err.Error()
			}
			var b strings.Builder
			for it.Next() {
				fmt.Fprintf(&b, "%s@%d = %s\n", it.Key(), it.Start(), it.Value())
			}
			if err := it.Close(); err != nil {
				fmt.Fprintf(&b, "error: %v\n", err)
			}
			return b.String()
		case "find", "find-range":
			var key, lo, hi string
			var earliest, latest int64
			d.ScanArgs(t, "earliest-end", &earliest)
			d.ScanArgs(t, "latest-start", &latest)
			var it *state.SessionIterator
			var err error
			if d.Cmd == "find" {
				d.ScanArgs(t, "key", &key)
				it, err = s.sess.FindSessions([]byte(key), earliest, latest)
			} else {
				it, err = s.sess.FindSessionsRange(optKey(t, d, "lo", &lo), optKey(t, d, "hi", &hi), earliest, latest)
			}
			if err != nil {
				return err.Error()
			}
			var b strings.Builder
			for it.Next() {
				ss := it.Session()
				fmt.Fprintf(&b, "%s [%d,%d] = %s\n", ss.Key, ss.Start, ss.End, ss.Value)
			}
			if err := it.Close(); err != nil {
				fmt.Fprintf(&b, "error: %v\n", err)
			}
			return b.String()
		case "merge":
			return ddMerge(t, d, &s)
		case "stream-time":
			var st int64
			var ok bool
			var err error
			if session {
				st, ok, err = s.sess.StreamTime()
			} else {
				st, ok, err = s.win.StreamTime()
			}
			switch {
			case err != nil:
				return err.Error()
			case !ok:
				return "none"
			}
			return strconv.FormatInt(st, 10)
		case "commit":
			if err := s.batch.Commit(false); err != nil {
				return err.Error()
			}
			return ""
		case "raw":
			it, err := s.batch.Store(s.store).NewIter(state.IterOptions{Start: []byte{0x01}})
			if err != nil {
				return err.Error()
			}
			var b strings.Builder
			for it.Next() {
				// Show the segment number, then the escaped key and
				// big-endian times as they sort.
				k := it.Key()
				seg := int64(binary.BigEndian.Uint64(k[1:9]) ^ 1<<63)
				fmt.Fprintf(&b, "segment %d: %q\n", seg, k[9:])
			}
			if err := it.Close(); err != nil {
				return err.Error()
			}
			return b.String()
		}
		d.Fatalf(t, "unknown command %s", d.Cmd)
		return ""
	})
}

func optKey(t *testing.T, d *datadriven.TestData, name string, dst *string) []byte {
	if !d.MaybeScanArgs(t, name, dst) {
		return nil
	}
	return []byte(*dst)
}

func ddPut(t *testing.T, d *datadriven.TestData, s *ddStore, session bool) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		f := strings.Fields(line)
		want := 3
		if session {
			want = 4
		}
		if len(f) != want {
			d.Fatalf(t, "put: want %d fields in %q", want, line)
		}
		nums := make([]int64, want-2)
		for i := range nums {
			n, err := strconv.ParseInt(f[i+1], 10, 64)
			if err != nil {
				d.Fatalf(t, "put: %v", err)
			}
			nums[i] = n
		}
		var val []byte
		if v := f[len(f)-1]; v != "nil" {
			val = []byte(v)
		}
		var err error
		if session {
			err = s.sess.Put([]byte(f[0]), nums[0], nums[1], val)
		} else {
			err = s.win.Put([]byte(f[0]), nums[0], val)
		}
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", line, err)
		}
	}
	return b.String()
}

// ddMerge runs one step of a session-windowed COUNT(*): it merges the
// sessions the record joins, sums their counts, and writes the result.
func ddMerge(t *testing.T, d *datadriven.TestData, s *ddStore) string {
	var key string
	var ts, gap int64
	d.ScanArgs(t, "key", &key)
	d.ScanArgs(t, "ts", &ts)
	d.ScanArgs(t, "gap", &gap)
	start, end, merged, err := s.sess.Mergeable([]byte(key), ts, gap)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	count := int64(1)
	for _, m := range merged {
		n, err := strconv.ParseInt(string(m.Value), 10, 64)
		if err != nil {
			d.Fatalf(t, "merge: %v", err)
		}
		count += n
		fmt.Fprintf(&b, "merge [%d,%d] = %d\n", m.Start, m.End, n)
		if err := s.sess.Remove(m.Key, m.Start, m.End); err != nil {
			return err.Error()
		}
	}
	if err := s.sess.Put([]byte(key), start, end, []byte(strconv.FormatInt(count, 10))); err != nil {
		fmt.Fprintf(&b, "put [%d,%d]: %v\n", start, end, err)
		return b.String()
	}
	fmt.Fprintf(&b, "put [%d,%d] = %d\n", start, end, count)
	return b.String()
}
