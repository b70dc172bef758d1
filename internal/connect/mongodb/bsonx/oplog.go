package bsonx

import "fmt"

// DecodeOplog decodes one local.oplog.rs entry and calls fn for each data
// change it holds: one for an insert, update or delete, one per operation
// for a transaction's applyOps, none for no-ops and other commands (which
// carry no document changes Debezium emits).
//
// Updates come in three shapes and all are kept as Patch, as Debezium
// 1.x does: MongoDB before 5.0 logs {$set, $unset} ($v 1); 5.0+ logs
// {$v: 2, diff: ...}; a replacement logs the new document, which is also
// set as Doc. FerretDB logs every update as {$v: 1, $set: <whole new
// document>}, which needs nothing special: it is a $set patch whose
// fields happen to be all of them.
func DecodeOplog(entry []byte, fn func(Event) error) error {
	var ev Event
	var op, ns string
	var o, o2 Element
	var hasO, hasO2 bool
	it := NewIter(entry)
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		switch e.Key {
		case "op":
			op, _ = e.StringValue()
		case "ns":
			ns, _ = e.StringValue()
		case "ts":
			ts, ok := e.TimestampValue()
			if !ok {
				return malformed("oplog ts has type 0x%02x", e.Type)
			}
			ev.TS = ts
		case "o":
			o, hasO = e, e.Type == TypeDocument
		case "o2":
			o2, hasO2 = e, e.Type == TypeDocument
		case "wall":
			ev.WallMS, _ = e.Int64Value()
		case "txnNumber":
			ev.TxnNumber, _ = e.Int64Value()
		case "lsid":
			if e.Type == TypeDocument {
				ev.LSID = e.Value
			}
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("oplog entry: %w", err)
	}
	if op == "" {
		return malformed("oplog entry without op")
	}
	if ev.TS.IsZero() {
		return malformed("oplog entry without ts")
	}
	switch op {
	case "n":
		return nil
	case "c":
		if !hasO {
			return nil
		}
		ops, ok, err := Lookup(o.Value, "applyOps")
		if err != nil || !ok || ops.Type != TypeArray {
			return err
		}
		return decodeApplyOps(ev, ops.Value, fn)
	}
	db, coll, ok := SplitNS(ns)
	if !ok {
		return malformed("oplog ns %q", ns)
	}
	ev.DB, ev.Coll = db, coll
	if !hasO {
		return malformed("oplog %s entry without o", op)
	}
	switch op {
	case "i":
		ev.Op = OpCreate
		ev.Doc = o.Value
		t, id, err := IDOf(o.Value)
		if err != nil {
			return fmt.Errorf("oplog insert: %w", err)
		}
		ev.IDType, ev.ID = t, id
	case "u":
		ev.Op = OpUpdate
		if !hasO2 {
			return malformed("oplog update without o2")
		}
		ev.Filter = o2.Value
		t, id, err := IDOf(o2.Value)
		if err != nil {
			return fmt.Errorf("oplog update: %w", err)
		}
		ev.IDType, ev.ID = t, id
		ev.Patch = o.Value
		if isReplacement(o.Value) {
			ev.Doc = o.Value
		}
	case "d":
		ev.Op = OpDelete
		t, id, err := IDOf(o.Value)
		if err != nil {
			return fmt.Errorf("oplog delete: %w", err)
		}
		ev.IDType, ev.ID = t, id
	default:
		return malformed("oplog op %q", op)
	}
	return fn(ev)
}

// isReplacement reports whether an update's o is a whole document rather
// than operators: operator documents have only $-prefixed keys (and diff
// under $v 2).
func isReplacement(o []byte) bool {
	it := NewIter(o)
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		if len(e.Key) > 0 && e.Key[0] == '$' || e.Key == "diff" {
			return false
		}
	}
	return it.Err() == nil
}

func decodeApplyOps(parent Event, arr []byte, fn func(Event) error) error {
	it := NewIter(arr)
	i := 0
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		if e.Type != TypeDocument {
			return malformed("applyOps element of type 0x%02x", e.Type)
		}
		i++
		// Inner operations have no ts of their own: they share the
		// transaction's, told apart by Ord.
		ord := i
		err := decodeInner(e.Value, parent, func(ev Event) error {
			ev.Ord = ord
			return fn(ev)
		})
		if err != nil {
			return fmt.Errorf("applyOps[%d]: %w", i-1, err)
		}
	}
	return it.Err()
}

func decodeInner(op []byte, parent Event, fn func(Event) error) error {
	// An inner operation is an oplog entry without ts: lend it the
	// parent's by decoding with a patched callback.
	var buf []byte
	buf = append(buf, op[:len(op)-1]...)
	buf = append(buf, TypeTimestamp)
	buf = append(buf, "ts\x00"...)
	buf = append(buf, byte(parent.TS.I), byte(parent.TS.I>>8), byte(parent.TS.I>>16), byte(parent.TS.I>>24),
		byte(parent.TS.T), byte(parent.TS.T>>8), byte(parent.TS.T>>16), byte(parent.TS.T>>24), 0)
	n := len(buf)
	buf[0], buf[1], buf[2], buf[3] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	return DecodeOplog(buf, func(ev Event) error {
		ev.WallMS = parent.WallMS
		ev.TxnNumber = parent.TxnNumber
		ev.LSID = parent.LSID
		return fn(ev)
	})
}
