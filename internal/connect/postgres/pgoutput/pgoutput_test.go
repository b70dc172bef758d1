package pgoutput

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"time"
)

// enc builds pgoutput messages for tests, as the server writes them.
type enc []byte

func (e enc) u8(v uint8) enc   { return append(e, v) }
func (e enc) u16(v uint16) enc { return binary.BigEndian.AppendUint16(e, v) }
func (e enc) u32(v uint32) enc { return binary.BigEndian.AppendUint32(e, v) }
func (e enc) u64(v uint64) enc { return binary.BigEndian.AppendUint64(e, v) }
func (e enc) str(s string) enc { return append(append(e, s...), 0) }
func (e enc) text(s string) enc {
	return enc(append(e.u8('t').u32(uint32(len(s))), s...))
}

var when = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)

func pgTime(t time.Time) uint64 { return uint64(t.Sub(pgEpoch) / time.Microsecond) }

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   enc
		want Message
	}{
		{"begin", enc{'B'}.u64(0x10).u64(pgTime(when)).u32(7), &Begin{FinalLSN: 0x10, CommitTime: when, Xid: 7}},
		{"commit", enc{'C'}.u8(0).u64(0x10).u64(0x18).u64(pgTime(when)), &Commit{CommitLSN: 0x10, EndLSN: 0x18, CommitTime: when}},
		{"relation", enc{'R'}.u32(42).str("public").str("t").u8('d').u16(2).
			u8(1).str("id").u32(23).u32(0xffffffff).
			u8(0).str("name").u32(25).u32(0xffffffff),
			&Relation{ID: 42, Namespace: "public", Name: "t", ReplicaIdentity: 'd', Columns: []Column{
				{Key: true, Name: "id", TypeOID: 23, TypeMod: -1}, {Name: "name", TypeOID: 25, TypeMod: -1}}}},
		{"type", enc{'Y'}.u32(99).str("public").str("mood"), &Type{ID: 99, Namespace: "public", Name: "mood"}},
		{"insert", enc{'I'}.u32(42).u8('N').u16(3).text("1").u8('n').u8('u'),
			&Insert{RelationID: 42, New: []TupleColumn{{Kind: 't', Data: []byte("1")}, {Kind: 'n'}, {Kind: 'u'}}}},
		{"update", enc{'U'}.u32(42).u8('O').u16(1).text("a").u8('N').u16(1).text("b"),
			&Update{RelationID: 42, OldKind: 'O', Old: []TupleColumn{{Kind: 't', Data: []byte("a")}}, New: []TupleColumn{{Kind: 't', Data: []byte("b")}}}},
		{"update-new-only", enc{'U'}.u32(42).u8('N').u16(1).text("b"),
			&Update{RelationID: 42, New: []TupleColumn{{Kind: 't', Data: []byte("b")}}}},
		{"delete", enc{'D'}.u32(42).u8('K').u16(1).text("1"),
			&Delete{RelationID: 42, OldKind: 'K', Old: []TupleColumn{{Kind: 't', Data: []byte("1")}}}},
		{"truncate", enc{'T'}.u32(2).u8(1).u32(42).u32(43), &Truncate{Options: 1, RelationIDs: []uint32{42, 43}}},
		{"origin", enc{'O'}.u64(5).str("up"), &Origin{CommitLSN: 5, Name: "up"}},
		{"message", enc{'M'}.u8(1).u64(9).str("p").u32(2).u8('h').u8('i'), &LogicalMessage{Transactional: true, LSN: 9, Prefix: "p", Content: []byte("hi")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   enc
	}{
		{"empty", enc{}},
		{"unknown", enc{'Z'}},
		{"short begin", enc{'B'}.u64(1)},
		{"bad kind", enc{'I'}.u32(1).u8('N').u16(1).u8('x')},
		{"huge count", enc{'I'}.u32(1).u8('N').u16(60000)},
		{"bad length", enc{'I'}.u32(1).u8('N').u16(1).u8('t').u32(100).u8('a')},
		{"negative length", enc{'I'}.u32(1).u8('N').u16(1).u8('t').u32(0xfffffff0)},
		{"trailing", enc{'Y'}.u32(1).str("a").str("b").u8(0)},
		{"unterminated", enc{'Y'}.u32(1).str("a").u8('b')},
		{"insert marker", enc{'I'}.u32(1).u8('K')},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(tc.in); !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
		})
	}
}

// FuzzParse checks that no input panics or hangs the decoder, and that
// whatever decodes has tuples whose data lies inside the input.
func FuzzParse(f *testing.F) {
	f.Add([]byte(enc{'B'}.u64(0x10).u64(pgTime(when)).u32(7)))
	f.Add([]byte(enc{'R'}.u32(42).str("public").str("t").u8('d').u16(1).u8(1).str("id").u32(23).u32(0xffffffff)))
	f.Add([]byte(enc{'U'}.u32(42).u8('O').u16(1).text("a").u8('N').u16(2).text("b").u8('u')))
	f.Add([]byte(enc{'T'}.u32(2).u8(1).u32(42).u32(43)))
	f.Add([]byte(enc{'M'}.u8(1).u64(9).str("p").u32(2).u8('h').u8('i')))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		var tuples [][]TupleColumn
		switch x := m.(type) {
		case *Insert:
			tuples = append(tuples, x.New)
		case *Update:
			tuples = append(tuples, x.Old, x.New)
		case *Delete:
			tuples = append(tuples, x.Old)
		}
		for _, tu := range tuples {
			for _, c := range tu {
				if len(c.Data) > len(b) {
					t.Fatalf("column data longer than the input")
				}
			}
		}
	})
}
