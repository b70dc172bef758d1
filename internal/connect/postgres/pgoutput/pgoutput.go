// Package pgoutput decodes the messages of PostgreSQL's pgoutput logical
// decoding plugin (protocol version 1), as carried in the WAL data of the
// streaming replication protocol. It knows nothing of connections or
// connectors, so it can be fuzzed on bytes alone.
//
// Decoded messages may alias the input buffer (tuple column data does);
// callers that keep them past the buffer's reuse must copy the buffer
// first.
package pgoutput

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// ErrMalformed is matched by every decoding error.
var ErrMalformed = errors.New("pgoutput: malformed message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// LSN is a WAL position.
type LSN uint64

func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint32(l>>32), uint32(l)) }

// Message is one decoded pgoutput message: *Begin, *Commit, *Relation,
// *Type, *Insert, *Update, *Delete, *Truncate, *Origin or *LogicalMessage.
type Message interface{ msg() }

// Begin starts a transaction.
type Begin struct {
	FinalLSN   LSN // the LSN of the transaction's commit record
	CommitTime time.Time
	Xid        uint32
}

// Commit ends a transaction.
type Commit struct {
	Flags      uint8
	CommitLSN  LSN
	EndLSN     LSN // the end of the commit record: where a restart resumes
	CommitTime time.Time
}

// Column describes one column of a Relation.
type Column struct {
	// Key is set for columns of the replica identity (every column under
	// REPLICA IDENTITY FULL).
	Key     bool
	Name    string
	TypeOID uint32
	TypeMod int32
}

// Relation describes a table; it precedes the first change of the table
// in a session and follows any schema change.
type Relation struct {
	ID              uint32
	Namespace       string
	Name            string
	ReplicaIdentity byte // d default, n nothing, f full, i index
	Columns         []Column
}

// Type describes a non-builtin data type a Relation refers to.
type Type struct {
	ID        uint32
	Namespace string
	Name      string
}

// Tuple column kinds.
const (
	KindNull      = 'n'
	KindUnchanged = 'u' // an unchanged TOASTed value, not sent
	KindText      = 't'
	KindBinary    = 'b'
)

// TupleColumn is one column's value in a tuple.
type TupleColumn struct {
	Kind byte
	Data []byte
}

// Insert is a new row.
type Insert struct {
	RelationID uint32
	New        []TupleColumn
}

// Update carries the new row, and the old one when the replica identity is
// FULL (OldKind 'O') or the key changed (OldKind 'K', key columns only).
type Update struct {
	RelationID uint32
	OldKind    byte // 0 when there is no old tuple
	Old        []TupleColumn
	New        []TupleColumn
}

// Delete carries the old row: key columns only ('K') or whole ('O').
type Delete struct {
	RelationID uint32
	OldKind    byte
	Old        []TupleColumn
}

// Truncate empties tables.
type Truncate struct {
	Options     uint8 // 1 CASCADE, 2 RESTART IDENTITY
	RelationIDs []uint32
}

// Origin names the origin of a replicated transaction.
type Origin struct {
	CommitLSN LSN
	Name      string
}

// LogicalMessage is a pg_logical_emit_message payload.
type LogicalMessage struct {
	Transactional bool
	LSN           LSN
	Prefix        string
	Content       []byte
}

func (*Begin) msg()          {}
func (*Commit) msg()         {}
func (*Relation) msg()       {}
func (*Type) msg()           {}
func (*Insert) msg()         {}
func (*Update) msg()         {}
func (*Delete) msg()         {}
func (*Truncate) msg()       {}
func (*Origin) msg()         {}
func (*LogicalMessage) msg() {}

// pgEpoch is PostgreSQL's timestamp epoch.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// reader walks a message's bytes; the first failure sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = malformed("truncated %s", what)
	}
	r.b = nil
}

func (r *reader) u8(what string) uint8 {
	if len(r.b) < 1 {
		r.fail(what)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) u16(what string) uint16 {
	if len(r.b) < 2 {
		r.fail(what)
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return v
}

func (r *reader) u32(what string) uint32 {
	if len(r.b) < 4 {
		r.fail(what)
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *reader) u64(what string) uint64 {
	if len(r.b) < 8 {
		r.fail(what)
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) time(what string) time.Time {
	us := int64(r.u64(what))
	return pgEpoch.Add(time.Duration(us) * time.Microsecond)
}

// str reads a NUL-terminated string.
func (r *reader) str(what string) string {
	for i, c := range r.b {
		if c == 0 {
			s := string(r.b[:i])
			r.b = r.b[i+1:]
			return s
		}
	}
	r.fail(what)
	return ""
}

func (r *reader) bytes(n int, what string) []byte {
	if n < 0 || len(r.b) < n {
		r.fail(what)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) tuple() []TupleColumn {
	n := int(r.u16("tuple column count"))
	if r.err != nil {
		return nil
	}
	// Every column takes at least one byte, which bounds what a hostile
	// count can make us allocate.
	if n > len(r.b) {
		r.fail("tuple")
		return nil
	}
	cols := make([]TupleColumn, n)
	for i := range cols {
		k := r.u8("tuple column kind")
		cols[i].Kind = k
		switch k {
		case KindNull, KindUnchanged:
		case KindText, KindBinary:
			l := r.u32("tuple column length")
			cols[i].Data = r.bytes(int(int32(l)), "tuple column data")
		default:
			if r.err == nil {
				r.err = malformed("unknown tuple column kind %q", k)
			}
			return nil
		}
		if r.err != nil {
			return nil
		}
	}
	return cols
}

// Parse decodes one pgoutput message.
func Parse(b []byte) (Message, error) {
	if len(b) == 0 {
		return nil, malformed("empty message")
	}
	r := &reader{b: b[1:]}
	var m Message
	switch b[0] {
	case 'B':
		m = &Begin{FinalLSN: LSN(r.u64("begin lsn")), CommitTime: r.time("begin time"), Xid: r.u32("begin xid")}
	case 'C':
		m = &Commit{Flags: r.u8("commit flags"), CommitLSN: LSN(r.u64("commit lsn")), EndLSN: LSN(r.u64("commit end lsn")), CommitTime: r.time("commit time")}
	case 'O':
		m = &Origin{CommitLSN: LSN(r.u64("origin lsn")), Name: r.str("origin name")}
	case 'R':
		rel := &Relation{ID: r.u32("relation id"), Namespace: r.str("relation namespace"), Name: r.str("relation name"), ReplicaIdentity: r.u8("replica identity")}
		n := int(r.u16("relation column count"))
		if r.err == nil && n > len(r.b) {
			r.fail("relation columns")
		}
		if r.err == nil {
			rel.Columns = make([]Column, n)
			for i := range rel.Columns {
				c := &rel.Columns[i]
				c.Key = r.u8("column flags")&1 != 0
				c.Name = r.str("column name")
				c.TypeOID = r.u32("column type")
				c.TypeMod = int32(r.u32("column type modifier"))
			}
		}
		m = rel
	case 'Y':
		m = &Type{ID: r.u32("type id"), Namespace: r.str("type namespace"), Name: r.str("type name")}
	case 'I':
		ins := &Insert{RelationID: r.u32("relation id")}
		if k := r.u8("insert tuple marker"); r.err == nil && k != 'N' {
			return nil, malformed("insert: expected N, got %q", k)
		}
		ins.New = r.tuple()
		m = ins
	case 'U':
		up := &Update{RelationID: r.u32("relation id")}
		k := r.u8("update tuple marker")
		if r.err == nil && (k == 'K' || k == 'O') {
			up.OldKind = k
			up.Old = r.tuple()
			k = r.u8("update tuple marker")
		}
		if r.err == nil && k != 'N' {
			return nil, malformed("update: expected N, got %q", k)
		}
		up.New = r.tuple()
		m = up
	case 'D':
		del := &Delete{RelationID: r.u32("relation id")}
		k := r.u8("delete tuple marker")
		if r.err == nil && k != 'K' && k != 'O' {
			return nil, malformed("delete: expected K or O, got %q", k)
		}
		del.OldKind = k
		del.Old = r.tuple()
		m = del
	case 'T':
		n := int(r.u32("truncate relation count"))
		t := &Truncate{Options: r.u8("truncate options")}
		if r.err == nil && n > len(r.b)/4 {
			r.fail("truncate relations")
		}
		if r.err == nil {
			t.RelationIDs = make([]uint32, n)
			for i := range t.RelationIDs {
				t.RelationIDs[i] = r.u32("truncate relation")
			}
		}
		m = t
	case 'M':
		lm := &LogicalMessage{Transactional: r.u8("message flags")&1 != 0, LSN: LSN(r.u64("message lsn")), Prefix: r.str("message prefix")}
		lm.Content = r.bytes(int(int32(r.u32("message length"))), "message content")
		m = lm
	default:
		return nil, malformed("unknown message type %q", b[0])
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, malformed("%d trailing bytes after %T", len(r.b), m)
	}
	return m, nil
}
