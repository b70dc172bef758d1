package statetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/state"
)

func testKV(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	s := mustStore(t, db, "kv")
	other := mustStore(t, db, "kv2")
	must(t, other.Put([]byte("a"), []byte("other")))

	type op struct {
		kind       string // put, del, get
		key, value string
		want       string
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{"missing", []op{{kind: "get", key: "nope", want: "<not found>"}}},
		{"put get", []op{{kind: "put", key: "a", value: "1"}, {kind: "get", key: "a", want: "1"}}},
		{"overwrite", []op{{kind: "put", key: "b", value: "1"}, {kind: "put", key: "b", value: "2"}, {kind: "get", key: "b", want: "2"}}},
		{"empty value", []op{{kind: "put", key: "c", value: ""}, {kind: "get", key: "c", want: ""}}},
		{"delete", []op{{kind: "put", key: "d", value: "1"}, {kind: "del", key: "d"}, {kind: "get", key: "d", want: "<not found>"}}},
		{"delete missing", []op{{kind: "del", key: "zz"}, {kind: "get", key: "zz", want: "<not found>"}}},
		{"binary key", []op{{kind: "put", key: "\x00\xff\x00", value: "bin"}, {kind: "get", key: "\x00\xff\x00", want: "bin"}, {kind: "get", key: "\x00\xff", want: "<not found>"}}},
		{"empty key", []op{{kind: "put", key: "", value: "e"}, {kind: "get", key: "", want: "e"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, o := range tc.ops {
				switch o.kind {
				case "put":
					must(t, s.Put([]byte(o.key), []byte(o.value)))
				case "del":
					must(t, s.Delete([]byte(o.key)))
				case "get":
					if got := getString(t, s, o.key); got != o.want {
						t.Errorf("get %q = %q, want %q", o.key, got, o.want)
					}
				}
			}
		})
	}
	if got := getString(t, other, "a"); got != "other" {
		t.Errorf("stores are not isolated: other/a = %q", got)
	}
	v, err := s.Get([]byte("a"))
	must(t, err)
	v[0] = 'X' // Get returns a copy the caller owns.
	if got := getString(t, s, "a"); got != "1" {
		t.Errorf("Get did not return a copy: now %q", got)
	}
}

func testIterate(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	s := mustStore(t, db, "it")
	// A store whose name extends this one's must not leak into its scans.
	neighbour := mustStore(t, db, "it2")
	for _, k := range []string{"a", "ab", "abc", "b", "ba", "c"} {
		must(t, s.Put([]byte(k), []byte(strings.ToUpper(k))))
		must(t, neighbour.Put([]byte(k), []byte("N")))
	}
	b := func(s string) []byte { return []byte(s) }
	tests := []struct {
		name string
		o    state.IterOptions
		want string
	}{
		{"all", state.IterOptions{}, "a=A ab=AB abc=ABC b=B ba=BA c=C"},
		{"all reverse", state.IterOptions{Reverse: true}, "c=C ba=BA b=B abc=ABC ab=AB a=A"},
		{"range", state.IterOptions{Start: b("ab"), End: b("ba")}, "ab=AB abc=ABC b=B"},
		{"range reverse", state.IterOptions{Start: b("ab"), End: b("ba"), Reverse: true}, "b=B abc=ABC ab=AB"},
		{"open start", state.IterOptions{End: b("b")}, "a=A ab=AB abc=ABC"},
		{"open end", state.IterOptions{Start: b("b")}, "b=B ba=BA c=C"},
		{"prefix", state.IterOptions{Prefix: b("ab")}, "ab=AB abc=ABC"},
		{"prefix reverse", state.IterOptions{Prefix: b("a"), Reverse: true}, "abc=ABC ab=AB a=A"},
		{"prefix and range", state.IterOptions{Prefix: b("a"), Start: b("ab"), End: b("abc")}, "ab=AB"},
		{"empty range", state.IterOptions{Start: b("x"), End: b("y")}, ""},
		{"inverted range", state.IterOptions{Start: b("c"), End: b("a")}, ""},
		{"missing prefix", state.IterOptions{Prefix: b("q")}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(scan(t, s, tc.o), " ")
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func testDeleteRange(t *testing.T, open Opener) {
	tests := []struct {
		name       string
		start, end []byte
		want       string
	}{
		{"middle", []byte("b"), []byte("d"), "a=1 d=1 e=1"},
		{"open start", nil, []byte("c"), "c=1 d=1 e=1"},
		{"open end", []byte("d"), nil, "a=1 b=1 c=1"},
		{"everything", nil, nil, ""},
		{"empty", []byte("c"), []byte("c"), "a=1 b=1 c=1 d=1 e=1"},
	}
	db, _ := openDB(t, open)
	other := mustStore(t, db, "dr-other")
	must(t, other.Put([]byte("a"), []byte("1")))
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, viaBatch := range []bool{false, true} {
				s := mustStore(t, db, fmt.Sprintf("dr%d-%v", i, viaBatch))
				for _, k := range []string{"a", "b", "c", "d", "e"} {
					must(t, s.Put([]byte(k), []byte("1")))
				}
				if viaBatch {
					bt := db.NewBatch()
					must(t, bt.Store(s).DeleteRange(tc.start, tc.end))
					if got := strings.Join(scan(t, bt.Store(s), state.IterOptions{}), " "); got != tc.want {
						t.Errorf("in batch: got %q, want %q", got, tc.want)
					}
					must(t, bt.Commit(false))
					must(t, bt.Close())
				} else {
					must(t, s.DeleteRange(tc.start, tc.end))
				}
				if got := strings.Join(scan(t, s, state.IterOptions{}), " "); got != tc.want {
					t.Errorf("batch=%v: got %q, want %q", viaBatch, got, tc.want)
				}
			}
		})
	}
	if got := getString(t, other, "a"); got != "1" {
		t.Errorf("DeleteRange leaked into another store: %q", got)
	}
}
