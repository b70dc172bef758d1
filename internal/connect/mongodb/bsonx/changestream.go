package bsonx

import "fmt"

// DecodeChange decodes one change-stream event (the documents a
// $changeStream aggregation returns). ok is false for events that carry
// no document change Debezium emits (drop, rename, invalidate, DDL); the
// caller still advances its resume token past them.
func DecodeChange(event []byte) (ev Event, ok bool, err error) {
	var opType string
	var key []byte
	it := NewIter(event)
	for e, more := it.Next(); more; e, more = it.Next() {
		switch e.Key {
		case "_id":
			if e.Type != TypeDocument {
				return ev, false, malformed("resume token has type 0x%02x", e.Type)
			}
			ev.Token = e.Value
		case "operationType":
			opType, _ = e.StringValue()
		case "ns":
			if e.Type != TypeDocument {
				continue
			}
			if db, ok, _ := Lookup(e.Value, "db"); ok {
				ev.DB, _ = db.StringValue()
			}
			if c, ok, _ := Lookup(e.Value, "coll"); ok {
				ev.Coll, _ = c.StringValue()
			}
		case "documentKey":
			if e.Type == TypeDocument {
				key = e.Value
			}
		case "fullDocument":
			if e.Type == TypeDocument {
				ev.Doc = e.Value
			}
		case "fullDocumentBeforeChange":
			if e.Type == TypeDocument {
				ev.Before = e.Value
			}
		case "updateDescription":
			if e.Type != TypeDocument {
				continue
			}
			if err := decodeUpdateDescription(&ev, e.Value); err != nil {
				return ev, false, err
			}
		case "clusterTime":
			ts, ok := e.TimestampValue()
			if !ok {
				return ev, false, malformed("clusterTime has type 0x%02x", e.Type)
			}
			ev.TS = ts
		case "wallTime":
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
		return ev, false, fmt.Errorf("change event: %w", err)
	}
	if ev.Token == nil {
		return ev, false, malformed("change event without a resume token")
	}
	switch opType {
	case "insert":
		ev.Op = OpCreate
	case "update", "replace":
		ev.Op = OpUpdate
	case "delete":
		ev.Op = OpDelete
	case "":
		return ev, false, malformed("change event without operationType")
	default:
		return ev, false, nil
	}
	if ev.DB == "" || ev.Coll == "" {
		return ev, false, malformed("%s event without ns", opType)
	}
	if key == nil {
		return ev, false, malformed("%s event without documentKey", opType)
	}
	t, id, err := IDOf(key)
	if err != nil {
		return ev, false, fmt.Errorf("%s event documentKey: %w", opType, err)
	}
	ev.IDType, ev.ID = t, id
	ev.Filter = key
	if opType == "insert" && ev.Doc == nil {
		return ev, false, malformed("insert event without fullDocument")
	}
	return ev, true, nil
}

func decodeUpdateDescription(ev *Event, d []byte) error {
	it := NewIter(d)
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		switch e.Key {
		case "updatedFields":
			if e.Type == TypeDocument {
				ev.Updated = e.Value
			}
		case "removedFields":
			if e.Type != TypeArray {
				continue
			}
			ev.Removed = ev.Removed[:0]
			ai := NewIter(e.Value)
			for f, ok := ai.Next(); ok; f, ok = ai.Next() {
				if s, ok := f.StringValue(); ok {
					ev.Removed = append(ev.Removed, s)
				}
			}
			if err := ai.Err(); err != nil {
				return fmt.Errorf("removedFields: %w", err)
			}
			if ev.Removed == nil {
				ev.Removed = []string{}
			}
		case "truncatedArrays":
			if e.Type == TypeArray {
				ev.Truncated = e.Value
			}
		}
	}
	return it.Err()
}
