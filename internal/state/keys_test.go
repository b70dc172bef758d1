package state

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestKeyEncodingRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
	}{
		{"empty", []byte{}},
		{"plain", []byte("order-42")},
		{"zero byte", []byte{0}},
		{"zeros", []byte{0, 0, 0}},
		{"escape lookalike", []byte{0, 0xFF, 0, 1}},
		{"trailing 0xFF", []byte{1, 0xFF, 0xFF}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc := appendTime(appendKey([]byte("pfx"), tc.key), -5)
			key, rest, err := decodeKey(enc[3:])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(key, tc.key) {
				t.Errorf("key = %x, want %x", key, tc.key)
			}
			ts, rest, err := decodeTime(rest)
			if err != nil || ts != -5 || len(rest) != 0 {
				t.Errorf("time = %d, rest %x, err %v", ts, rest, err)
			}
		})
	}
}

// TestKeyEncodingOrder checks that composite keys sort by record key first,
// in the keys' own byte order, then by time.
func TestKeyEncodingOrder(t *testing.T) {
	type rec struct {
		key []byte
		ts  int64
	}
	// In the order they must sort.
	recs := []rec{
		{[]byte{}, math.MinInt64},
		{[]byte{}, 0},
		{[]byte{0}, -1},
		{[]byte{0}, 7},
		{[]byte{0, 0}, 0},
		{[]byte{0, 1}, 0},
		{[]byte{1}, math.MinInt64},
		{[]byte("a"), -100},
		{[]byte("a"), 100},
		{[]byte("a\x00"), 0},
		{[]byte("a\x00b"), 0},
		{[]byte("a\x01"), 0},
		{[]byte("ab"), 0},
		{[]byte{0xFF}, math.MaxInt64},
		{[]byte{0xFF, 0xFF}, 0},
	}
	var enc [][]byte
	for _, r := range recs {
		enc = append(enc, appendTime(appendKey(nil, r.key), r.ts))
	}
	if !slices.IsSortedFunc(enc, bytes.Compare) {
		for i := 1; i < len(enc); i++ {
			if bytes.Compare(enc[i-1], enc[i]) >= 0 {
				t.Errorf("%x@%d does not sort before %x@%d", recs[i-1].key, recs[i-1].ts, recs[i].key, recs[i].ts)
			}
		}
	}
}

func TestDecodeKeyErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"unterminated", []byte("abc")},
		{"lone zero", []byte{'a', 0}},
		{"bad escape", []byte{'a', 0, 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := decodeKey(tc.in); !errors.Is(err, errBadKey) {
				t.Errorf("err = %v, want errBadKey", err)
			}
		})
	}
	if _, _, err := decodeTime([]byte{1, 2}); !errors.Is(err, errBadKey) {
		t.Errorf("short time: %v", err)
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		in, want []byte
	}{
		{[]byte{1, 2}, []byte{1, 3}},
		{[]byte{1, 0xFF}, []byte{2}},
		{[]byte{0xFF, 0xFF}, nil},
		{[]byte{}, nil},
	}
	for _, tc := range tests {
		if got := prefixEnd(tc.in); !bytes.Equal(got, tc.want) {
			t.Errorf("prefixEnd(%x) = %x, want %x", tc.in, got, tc.want)
		}
	}
}

func TestFloorDiv(t *testing.T) {
	tests := []struct{ a, b, want int64 }{
		{0, 10, 0}, {9, 10, 0}, {10, 10, 1}, {-1, 10, -1}, {-10, 10, -1}, {-11, 10, -2},
		{math.MinInt64, 60_000, math.MinInt64/60_000 - 1},
	}
	for _, tc := range tests {
		if got := floorDiv(tc.a, tc.b); got != tc.want {
			t.Errorf("floorDiv(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestMergeBounds(t *testing.T) {
	tests := []struct {
		name       string
		ts         int64
		sessions   []Session
		start, end int64
	}{
		{"alone", 50, nil, 50, 50},
		{"extends end", 50, []Session{{Start: 40, End: 45}}, 40, 50},
		{"extends start", 50, []Session{{Start: 55, End: 60}}, 50, 60},
		{"inside", 50, []Session{{Start: 40, End: 60}}, 40, 60},
		{"bridges", 50, []Session{{Start: 30, End: 42}, {Start: 58, End: 70}}, 30, 70},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start, end := MergeBounds(tc.ts, tc.sessions)
			if start != tc.start || end != tc.end {
				t.Errorf("MergeBounds = [%d, %d], want [%d, %d]", start, end, tc.start, tc.end)
			}
		})
	}
}

func TestSegmentOptions(t *testing.T) {
	tests := []struct {
		name    string
		in      SegmentOptions
		wantSeg int64
		wantErr bool
	}{
		{"default small", SegmentOptions{Retention: 1000}, DefaultMinSegmentInterval, false},
		{"default large", SegmentOptions{Retention: 86_400_000}, 43_200_000, false},
		{"explicit", SegmentOptions{Retention: 1000, SegmentInterval: 7}, 7, false},
		{"no retention", SegmentOptions{}, DefaultMinSegmentInterval, true},
		{"negative interval", SegmentOptions{Retention: 10, SegmentInterval: -1}, -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.in
			o.EnsureDefaults()
			if o.SegmentInterval != tc.wantSeg {
				t.Errorf("segment interval = %d, want %d", o.SegmentInterval, tc.wantSeg)
			}
			if err := o.Validate(); (err != nil) != tc.wantErr {
				t.Errorf("Validate() = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

// FuzzKeyEncoding checks that any key round-trips through the escaped
// encoding and that the encoding preserves the order of any two keys.
func FuzzKeyEncoding(f *testing.F) {
	f.Add([]byte("a"), []byte("a\x00"), int64(0), int64(1))
	f.Add([]byte{0, 0xFF}, []byte{0, 1}, int64(-1), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, a, b []byte, ta, tb int64) {
		ea := appendTime(appendKey(nil, a), ta)
		eb := appendTime(appendKey(nil, b), tb)
		for _, c := range []struct {
			enc []byte
			key []byte
			ts  int64
		}{{ea, a, ta}, {eb, b, tb}} {
			k, rest, err := decodeKey(c.enc)
			if err != nil || !bytes.Equal(k, c.key) {
				t.Fatalf("decode %x: %x, %v", c.enc, k, err)
			}
			if ts, rest, err := decodeTime(rest); err != nil || ts != c.ts || len(rest) != 0 {
				t.Fatalf("decode time %x: %d, %v", c.enc, ts, err)
			}
		}
		want := bytes.Compare(a, b)
		if want == 0 {
			want = cmpInt(ta, tb)
		}
		if got := bytes.Compare(ea, eb); got != want {
			t.Fatalf("order of %x@%d vs %x@%d: encoded %d, want %d", a, ta, b, tb, got, want)
		}
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FuzzDecodeKey feeds arbitrary bytes to the decoder: it must fail cleanly,
// never panic.
func FuzzDecodeKey(f *testing.F) {
	f.Add([]byte{0, 1})
	f.Add([]byte{'a', 0, 0xFF, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, rest, err := decodeKey(b)
		if err != nil {
			return
		}
		if re := appendKey(nil, k); !bytes.Equal(re, b[:len(b)-len(rest)]) {
			t.Fatalf("re-encoding %x gives %x, input was %x", k, re, b[:len(b)-len(rest)])
		}
		_, _, _ = decodeTime(rest)
	})
}

// TestDecodeKeyIntoReuse decodes a sequence of keys with one buffer, as an
// iterator does, and checks no key is corrupted and the input is never
// written to.
func TestDecodeKeyIntoReuse(t *testing.T) {
	keys := [][]byte{{'a', 0, 'b'}, []byte("plain"), {0, 0, 0, 0, 0}, []byte("x"), {0}}
	var buf []byte
	for _, k := range keys {
		enc := appendTime(appendKey(nil, k), 1)
		orig := bytes.Clone(enc)
		got, rest, err := decodeKeyInto(&buf, enc)
		if err != nil || !bytes.Equal(got, k) || len(rest) != 8 {
			t.Errorf("decode %x: %x, rest %x, %v", k, got, rest, err)
		}
		if !bytes.Equal(enc, orig) {
			t.Errorf("decoding %x wrote to its input", k)
		}
	}
}
