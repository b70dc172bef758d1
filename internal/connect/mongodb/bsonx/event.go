package bsonx

import (
	"bytes"
	"strings"
)

// Op is a Debezium operation code.
type Op byte

const (
	OpCreate Op = 'c'
	OpUpdate Op = 'u'
	OpDelete Op = 'd'
	OpRead   Op = 'r' // a snapshot read
)

func (o Op) String() string { return string(rune(o)) }

// Event is one change to one document, from the oplog, a change stream or
// the snapshot. Its byte slices alias the buffer it was decoded from.
type Event struct {
	Op       Op
	DB, Coll string
	// IDType and ID are the document's _id value (type and bytes).
	IDType byte
	ID     []byte
	// Doc is the whole document after the change: inserts, replacements,
	// snapshot reads and change-stream updates with updateLookup. It is
	// nil for deletes and for oplog updates given as operators.
	Doc []byte
	// Before is the pre-image, where the server provides it.
	Before []byte
	// Patch is an oplog update's operator document ({$set: ...},
	// {$v: 2, diff: ...}); Filter is its o2 ({_id: ...}).
	Patch  []byte
	Filter []byte
	// Updated and Removed are a change stream's updateDescription;
	// Truncated is its truncatedArrays array, raw.
	Updated   []byte
	Removed   []string
	Truncated []byte
	// TS orders the event (the oplog's ts, the event's clusterTime).
	TS Timestamp
	// Ord is the event's position within its transaction's applyOps
	// (0 outside transactions), so an offset can name it exactly.
	Ord int
	// Token is a change stream's resume token (the event's _id).
	Token []byte
	// WallMS is the wall-clock time of the change, in ms, when known.
	WallMS int64
	// TxnNumber and LSID identify a multi-document transaction.
	TxnNumber int64
	LSID      []byte
}

// Clone returns a copy of e that owns its bytes.
func (e Event) Clone() Event {
	c := e
	c.DB = strings.Clone(e.DB)
	c.Coll = strings.Clone(e.Coll)
	c.ID = bytes.Clone(e.ID)
	c.Doc = bytes.Clone(e.Doc)
	c.Before = bytes.Clone(e.Before)
	c.Patch = bytes.Clone(e.Patch)
	c.Filter = bytes.Clone(e.Filter)
	c.Updated = bytes.Clone(e.Updated)
	c.Truncated = bytes.Clone(e.Truncated)
	c.Token = bytes.Clone(e.Token)
	c.LSID = bytes.Clone(e.LSID)
	if e.Removed != nil {
		c.Removed = make([]string, len(e.Removed))
		for i, r := range e.Removed {
			c.Removed[i] = strings.Clone(r)
		}
	}
	return c
}

// SplitNS splits "db.coll" at the first dot (collection names may hold
// dots, database names may not).
func SplitNS(ns string) (db, coll string, ok bool) {
	i := strings.IndexByte(ns, '.')
	if i <= 0 || i == len(ns)-1 {
		return "", "", false
	}
	return ns[:i], ns[i+1:], true
}

// IDOf finds doc's _id.
func IDOf(doc []byte) (byte, []byte, error) {
	e, ok, err := Lookup(doc, "_id")
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		return 0, nil, malformed("document has no _id")
	}
	return e.Type, e.Value, nil
}
