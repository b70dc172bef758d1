package postgres

import (
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/postgres/pgoutput"
)

// position is where a change sits in the WAL, for the source block and
// the offset.
type position struct {
	lastCommit pgoutput.LSN // end of the last transaction fully emitted before this one
	lsn        pgoutput.LSN // the change's own LSN (the commit LSN for a whole transaction)
	xid        uint32
	commitTime time.Time
	snapshot   string // "true", "last" or "false"
	events     int    // changes of this transaction emitted so far, this one included
}

// row converts a tuple to a value struct. prev supplies values for
// unchanged TOASTed columns when PostgreSQL sent the old row (REPLICA
// IDENTITY FULL); otherwise they become the unavailable-value
// placeholder, as in Debezium.
func (tk *task) row(tb *table, tuple, prev []pgoutput.TupleColumn) (*connect.Struct, error) {
	st := connect.NewStruct(tb.valueSchema)
	for i := range tb.cols {
		col := &tb.cols[i]
		if col.field < 0 {
			continue
		}
		if i >= len(tuple) {
			st.Values[col.field] = zeroValue(col.schema)
			continue
		}
		tc := tuple[i]
		if tc.Kind == pgoutput.KindUnchanged && i < len(prev) && (prev[i].Kind == pgoutput.KindText || prev[i].Kind == pgoutput.KindNull) {
			tc = prev[i]
		}
		switch tc.Kind {
		case pgoutput.KindNull:
			if !col.schema.Optional {
				st.Values[col.field] = zeroValue(col.schema)
			}
		case pgoutput.KindUnchanged:
			st.Values[col.field] = tk.placeholder(col.schema)
		case pgoutput.KindText:
			v, err := col.conv(tc.Data)
			if err != nil {
				return nil, fmt.Errorf("column %s.%s.%s: %w", tb.schema, tb.name, col.name, err)
			}
			if v == nil && !col.schema.Optional {
				v = zeroValue(col.schema)
			}
			st.Values[col.field] = v
		default:
			return nil, fmt.Errorf("column %s.%s.%s: binary values are not requested", tb.schema, tb.name, col.name)
		}
	}
	return st, nil
}

// placeholder stands for a value PostgreSQL did not send.
func (tk *task) placeholder(s *connect.Schema) any {
	switch {
	case s.Type == connect.String:
		return tk.cfg.placeholder
	case s.Type == connect.Bytes && s.Name == "":
		return []byte(tk.cfg.placeholder)
	case s.Type == connect.Array && s.Elem.Type == connect.String:
		return []any{tk.cfg.placeholder}
	}
	if s.Optional {
		return nil
	}
	return zeroValue(s)
}

// zeroValue fills a required column PostgreSQL sent no value for (the
// non-key columns of a delete under REPLICA IDENTITY DEFAULT), as
// Debezium's fallback defaults do.
func zeroValue(s *connect.Schema) any {
	if s.Name == connect.DecimalName {
		sc, _ := strconv.Atoi(s.Params[connect.DecimalScaleParam])
		return connect.Decimal{Unscaled: new(big.Int), Scale: sc}
	}
	switch s.Type {
	case connect.Int8:
		return int8(0)
	case connect.Int16:
		return int16(0)
	case connect.Int32:
		return int32(0)
	case connect.Int64:
		return int64(0)
	case connect.Float32:
		return float32(0)
	case connect.Float64:
		return float64(0)
	case connect.Boolean:
		return false
	case connect.String:
		return ""
	case connect.Bytes:
		return []byte{}
	case connect.Array:
		return []any{}
	case connect.StructType:
		st := connect.NewStruct(s)
		for i, f := range s.Fields {
			if !f.Schema.Optional {
				st.Values[i] = zeroValue(f.Schema)
			}
		}
		return st
	}
	return nil
}

// key extracts the key struct from a value struct.
func keyOf(tb *table, v *connect.Struct) *connect.Struct {
	if tb.keySchema == nil || v == nil {
		return nil
	}
	k := connect.NewStruct(tb.keySchema)
	for i, ci := range tb.keyCols {
		if f := tb.cols[ci].field; f >= 0 {
			k.Values[i] = v.Values[f]
		}
	}
	return k
}

func (tk *task) source(tb *table, pos position) *connect.Struct {
	s := connect.NewStruct(sourceSchema)
	v := s.Values
	v[0] = connectorVersion
	v[1] = "postgresql"
	v[2] = tk.prefixV
	v[3] = pos.commitTime.UnixMilli()
	v[4] = boxed(pos.snapshot)
	v[5] = tk.dbnameV
	var buf [48]byte // on the stack: only the string below allocates
	seq := buf[:0]
	seq = append(seq, `["`...)
	seq = strconv.AppendUint(seq, uint64(pos.lastCommit), 10)
	seq = append(seq, `","`...)
	seq = strconv.AppendUint(seq, uint64(pos.lsn), 10)
	v[6] = string(append(seq, `"]`...))
	v[7] = tb.schemaV
	v[8] = tb.nameV
	if pos.xid != 0 {
		v[9] = int64(pos.xid)
	}
	v[10] = int64(pos.lsn)
	return s
}

// The values of source.snapshot and op, in interfaces once and for all.
var (
	boxFalse, boxTrue, boxLast any = "false", "true", "last"
	boxC, boxU, boxD, boxR     any = "c", "u", "d", "r"
)

// boxed returns s in an interface without allocating for the values of
// source.snapshot and op.
func boxed(s string) any {
	switch s {
	case "false":
		return boxFalse
	case "true":
		return boxTrue
	case "last":
		return boxLast
	case "c":
		return boxC
	case "u":
		return boxU
	case "d":
		return boxD
	case "r":
		return boxR
	}
	return s
}

// offset is the source offset stored with a record; see task.resume for
// how it is read back.
func (tk *task) offset(pos position) map[string]any {
	o := map[string]any{
		"lsn_commit": int64(pos.lastCommit),
		"lsn":        int64(pos.lsn),
		"ts_usec":    pos.commitTime.UnixMicro(),
	}
	if pos.snapshot != "false" {
		o["snapshot"] = true
		o["last_snapshot_record"] = pos.snapshot == "last"
		return o
	}
	o["txId"] = int64(pos.xid)
	o["events"] = int64(pos.events)
	return o
}

// change builds a change event (and, for deletes, the tombstone that
// follows it).
func (tk *task) change(tb *table, op string, before, after *connect.Struct, pos position, out []*connect.Record) []*connect.Record {
	env := connect.NewStruct(tb.envSchema)
	// A nil *Struct must stay an untyped nil in the struct.
	if before != nil {
		env.Values[0] = before
	}
	if after != nil {
		env.Values[1] = after
	}
	env.Values[2] = tk.source(tb, pos)
	env.Values[3] = boxed(op)
	env.Values[4] = time.Now().UnixMilli()
	keyRow := after
	if keyRow == nil {
		keyRow = before
	}
	var key any
	if k := keyOf(tb, keyRow); k != nil {
		key = k
	}
	// Only a batch's last record carries the offset (see withOffset):
	// the runtime keeps the latest per partition anyway, and building a
	// map per change is a large share of the cost of a change.
	tk.lastPos = pos
	r := &connect.Record{
		Topic: tb.topic, Partition: -1,
		KeySchema: tb.keySchema, Key: key,
		ValueSchema: tb.envSchema, Value: env,
	}
	out = append(out, r)
	if op == "d" && tk.cfg.tombstones && key != nil {
		out = append(out, &connect.Record{
			Topic: tb.topic, Partition: -1,
			KeySchema: tb.keySchema, Key: key,
		})
	}
	return out
}

// withOffset gives the batch's last record the offset of the last change
// emitted.
func (tk *task) withOffset(out []*connect.Record) []*connect.Record {
	if len(out) > 0 {
		last := out[len(out)-1]
		if last.SourcePartition == nil {
			last.SourcePartition = tk.partition
			last.SourceOffset = tk.offset(tk.lastPos)
		}
	}
	return out
}
