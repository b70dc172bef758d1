package value

// Row is one record as the engine sees it. Key holds the key columns and
// Val the value columns, each in schema order. A table row whose Val is nil
// is a tombstone: the key was deleted.
type Row struct {
	Key       []Value
	Val       []Value
	Time      int64 // ROWTIME, ms since the epoch
	Partition int32 // ROWPARTITION
	Offset    int64 // ROWOFFSET
	Window    *Window
	Headers   []Header
	// Undo marks a table row's previous value on its way to an
	// aggregation, which subtracts it rather than adding it.
	Undo bool
	// NullKey marks a row read from a record with no key at all: its key
	// columns read as NULL, and a sink that keeps the key writes no key,
	// as ksqlDB's null GenericKey does (a key of NULL columns is not the
	// same: PROTOBUF and JSON write it as a message or object).
	NullKey bool
}

// Window holds the bounds of a windowed key, WINDOWSTART and WINDOWEND in ms.
type Window struct {
	Start int64
	End   int64
}

// Header is one record header; keys may repeat.
type Header struct {
	Key   string
	Value []byte
}

// Tombstone reports a deleted table row.
func (r *Row) Tombstone() bool { return r.Val == nil }
