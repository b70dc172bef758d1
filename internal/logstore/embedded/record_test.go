package embedded

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"

	"github.com/sluicedb/sluice/internal/logstore"
)

func encodeSealed(r logstore.Record, offset int64) []byte {
	b := appendRecord(nil, &r)
	sealRecord(b, offset)
	return b
}

func TestRecordRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		rec  logstore.Record
	}{
		{"null key and value", logstore.Record{}},
		{"empty key and value", logstore.Record{Key: []byte{}, Value: []byte{}}},
		{"negative timestamp", logstore.Record{Key: []byte("k"), Value: []byte("v"), Timestamp: -5}},
		{"headers", logstore.Record{Value: []byte("v"), Headers: []logstore.Header{{Key: "a", Value: nil}, {Key: "a", Value: []byte{}}, {Key: "", Value: []byte("x")}}}},
		{"large", logstore.Record{Key: bytes.Repeat([]byte("k"), 300), Value: bytes.Repeat([]byte("v"), 70000)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeSealed(tc.rec, 123456789)
			if n := encodedSize(&tc.rec); n < len(b) {
				t.Errorf("encodedSize = %d, encoding is %d bytes", n, len(b))
			}
			h, err := peekRecord(b)
			if err != nil {
				t.Fatal(err)
			}
			if h.size != len(b) || h.offset != 123456789 || h.timestamp != tc.rec.Timestamp {
				t.Fatalf("head = %+v", h)
			}
			var got logstore.Record
			if err := decodeRecord(b, h, &got); err != nil {
				t.Fatal(err)
			}
			want := tc.rec
			if !sameNullable(got.Key, want.Key) || !sameNullable(got.Value, want.Value) || len(got.Headers) != len(want.Headers) {
				t.Fatalf("decoded %+v, want %+v", got, want)
			}
			for i := range want.Headers {
				if got.Headers[i].Key != want.Headers[i].Key || !sameNullable(got.Headers[i].Value, want.Headers[i].Value) {
					t.Errorf("header %d = %+v, want %+v", i, got.Headers[i], want.Headers[i])
				}
			}
			key, tomb, err := keyOf(b, h)
			if err != nil || !sameNullable(key, want.Key) || tomb != (want.Value == nil) {
				t.Errorf("keyOf = %q, %v, %v", key, tomb, err)
			}
		})
	}
}

func sameNullable(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

func TestRecordCorruption(t *testing.T) {
	good := encodeSealed(logstore.Record{Key: []byte("key"), Value: []byte("value")}, 7)
	tests := []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"empty", func(b []byte) []byte { return nil }},
		{"short frame", func(b []byte) []byte { return b[:5] }},
		{"cut body", func(b []byte) []byte { return b[:len(b)-1] }},
		{"flipped value byte", func(b []byte) []byte { b[len(b)-3] ^= 1; return b }},
		{"flipped offset", func(b []byte) []byte { b[offsetAt] ^= 1; return b }},
		{"bad crc", func(b []byte) []byte { b[4] ^= 1; return b }},
		{"huge length", func(b []byte) []byte { b[3] = 0x7f; return b }},
		{"zeros", func(b []byte) []byte { return make([]byte, len(b)) }},
	}
	for _, tc := range tests {
		b := tc.damage(append([]byte(nil), good...))
		if _, err := peekRecord(b); !errors.Is(err, errCorrupt) {
			t.Errorf("%s: peekRecord = %v, want errCorrupt", tc.name, err)
		}
	}
}

// FuzzDecodeRecord feeds arbitrary bytes to the decoder that reads
// segment tails after a crash: it must reject or decode, never panic.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeSealed(logstore.Record{Key: []byte("k"), Value: []byte("v"), Headers: []logstore.Header{{Key: "h", Value: []byte("1")}}}, 1))
	f.Add(encodeSealed(logstore.Record{}, 0))
	f.Add([]byte{0x11, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		// Also frame the bytes as a body with a valid CRC, so that the
		// fuzzer reaches the field decoding behind the checksum.
		framed := binary.LittleEndian.AppendUint32(nil, uint32(len(b)))
		framed = binary.LittleEndian.AppendUint32(framed, crc32.Checksum(b, castagnoli))
		framed = append(framed, b...)
		for _, in := range [][]byte{b, framed} {
			h, err := peekRecord(in)
			if err != nil {
				continue
			}
			var r logstore.Record
			decodeRecord(in, h, &r)
			keyOf(in, h)
		}
	})
}

// FuzzDecodeJournal does the same for journal entries.
func FuzzDecodeJournal(f *testing.F) {
	e := journalEntry{kind: entryCommit, seq: 3,
		ends:   map[partKey]int64{{topic: "t", id: 9, part: 1}: 100},
		groups: map[groupKey]groupOffset{{group: "g", topic: "t", part: 1}: {topicID: 9, offset: 50}}}
	f.Add(e.encode(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		framed := binary.LittleEndian.AppendUint32(nil, uint32(len(b)))
		framed = binary.LittleEndian.AppendUint32(framed, crc32.Checksum(b, castagnoli))
		decodeEntry(b)
		decodeEntry(append(framed, b...))
	})
}
