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
