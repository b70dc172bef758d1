package mongodb

import (
	"fmt"
	"strings"
	"sync"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/mongodb/bsonx"
)

// Debezium's schema names for the MongoDB envelope.
const (
	jsonName       = "io.debezium.data.Json"
	sourceName     = "io.debezium.connector.mongo.Source"
	updateDescName = "io.debezium.connector.mongodb.changestream.updatedescription"
	truncatedName  = "io.debezium.connector.mongodb.changestream.truncatedarray"
	connectorName  = "mongodb"
	// Version is the Debezium version Sluice reports in source.version.
	Version = "2.7.0.Final-sluice"
)

var (
	optJSON = &connect.Schema{Type: connect.String, Optional: true, Name: jsonName, Version: 1}

	sourceSchema = connect.NewStructSchema(sourceName).
			Field("version", connect.StringSchema).
			Field("connector", connect.StringSchema).
			Field("name", connect.StringSchema).
			Field("ts_ms", connect.Int64Schema).
			Field("snapshot", &connect.Schema{Type: connect.String, Optional: true, Name: "io.debezium.data.Enum", Version: 1, Default: "false", Params: map[string]string{"allowed": "true,last,false,incremental"}}).
			Field("db", connect.StringSchema).
			Field("sequence", connect.OptString).
			Field("rs", connect.StringSchema).
			Field("collection", connect.StringSchema).
			Field("ord", connect.Int32Schema).
			Field("lsid", connect.OptString).
			Field("txnNumber", connect.OptInt64).
			Field("wallTime", connect.OptInt64).
			Build()

	truncatedSchema = connect.NewStructSchema(truncatedName).
			Field("field", connect.StringSchema).
			Field("size", connect.Int32Schema).
			Build()

	updateDescSchema = connect.NewStructSchema(updateDescName).Optional().
				Field("removedFields", &connect.Schema{Type: connect.Array, Optional: true, Elem: connect.StringSchema}).
				Field("updatedFields", optJSON).
				Field("truncatedArrays", &connect.Schema{Type: connect.Array, Optional: true, Elem: truncatedSchema}).
				Build()
)

// collSchemas are one collection's key and envelope schemas, built once so
// that converters see the same schema object for every record.
type collSchemas struct {
	topic string
	// db and coll are boxed once, so each record's source block does not
	// allocate them again.
	db, coll any
	key      *connect.Schema
	value    *connect.Schema
}

// schemaCache holds collSchemas per namespace.
type schemaCache struct {
	prefix string
	mu     sync.Mutex
	m      map[nsKey]*collSchemas
}

// nsKey keys schemaCache by db and collection without joining them, so
// that the lookup per record allocates nothing.
type nsKey struct{ db, coll string }

func (c *schemaCache) get(db, coll string) *collSchemas {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[nsKey{db, coll}]; ok {
		return s
	}
	ns := db + "." + coll
	topic := c.prefix + "." + ns
	s := &collSchemas{
		topic: topic,
		db:    strings.Clone(db),
		coll:  strings.Clone(coll),
		key:   connect.NewStructSchema(topic+".Key").Field("id", connect.StringSchema).Build(),
		value: connect.NewStructSchema(topic+".Envelope").
			Field("before", optJSON).
			Field("after", optJSON).
			Field("patch", optJSON).
			Field("filter", optJSON).
			Field("updateDescription", updateDescSchema).
			Field("source", sourceSchema).
			Field("op", connect.OptString).
			Field("ts_ms", connect.OptInt64).
			Build(),
	}
	if c.m == nil {
		c.m = map[nsKey]*collSchemas{}
	}
	// The event's strings may alias its oplog entry; the cache keeps
	// copies so that it does not hold the first entry alive.
	c.m[nsKey{strings.Clone(db), strings.Clone(coll)}] = s
	return s
}

// builder turns events into Debezium MongoDB change records.
type builder struct {
	cfg     *config
	rs      string
	schemas schemaCache
	buf     []byte
	now     func() int64

	prefixBox, rsBox any
}

// Values boxed once: storing a string in an interface allocates, and the
// source block repeats these on every record.
var (
	versionAny    any = Version
	connectorAny  any = connectorName
	snapshotTrue  any = "true"
	snapshotLast  any = "last"
	snapshotFalse any = "false"
	opCreate      any = "c"
	opUpdate      any = "u"
	opDelete      any = "d"
	opRead        any = "r"
)

func opAny(o bsonx.Op) any {
	switch o {
	case bsonx.OpCreate:
		return opCreate
	case bsonx.OpUpdate:
		return opUpdate
	case bsonx.OpDelete:
		return opDelete
	}
	return opRead
}

func (b *builder) prefixAny() any {
	if b.prefixBox == nil {
		b.prefixBox = b.cfg.prefix
	}
	return b.prefixBox
}

func (b *builder) rsAny() any {
	if b.rsBox == nil {
		b.rsBox = b.rs
	}
	return b.rsBox
}

func (b *builder) json(doc []byte, db, coll string) (any, error) {
	if doc == nil {
		return nil, nil
	}
	var paths [][]string
	for _, r := range b.cfg.exclude {
		if r.matches(db, coll) {
			paths = append(paths, r.path)
		}
	}
	doc, err := bsonx.Without(doc, paths)
	if err != nil {
		return nil, err
	}
	b.buf, err = bsonx.AppendJSON(b.buf[:0], doc)
	if err != nil {
		return nil, err
	}
	return string(b.buf), nil
}

// records appends the records for ev: the change event, and after a
// delete the tombstone (tombstones.on.delete). snapshot is "" while
// streaming, "true" during the snapshot and "last" for its last record.
func (b *builder) records(out []*connect.Record, ev *bsonx.Event, partition, offset map[string]any, snapshot string) ([]*connect.Record, error) {
	s := b.schemas.get(ev.DB, ev.Coll)
	var err error
	b.buf, err = bsonx.AppendValueJSON(b.buf[:0], ev.IDType, ev.ID)
	if err != nil {
		return out, fmt.Errorf("mongodb: %s.%s _id: %w", ev.DB, ev.Coll, err)
	}
	kb := &keyBox{}
	kb.v[0] = string(b.buf)
	kb.st = connect.Struct{Schema: s.key, Values: kb.v[:]}
	key := &kb.st

	ts := int64(ev.TS.T) * 1000
	var snap any = snapshotFalse
	switch snapshot {
	case "true":
		snap = snapshotTrue
	case "last":
		snap = snapshotLast
	}
	sb := &sourceBox{v: [13]any{versionAny, connectorAny, b.prefixAny(), ts, snap, s.db, nil, b.rsAny(), s.coll, int32(ev.TS.I), nil, nil, nil}}
	sb.st = connect.Struct{Schema: sourceSchema, Values: sb.v[:]}
	src := &sb.st
	if ev.LSID != nil {
		if js, err := bsonx.AppendJSON(nil, ev.LSID); err == nil {
			src.Values[10] = string(js)
			src.Values[11] = ev.TxnNumber
		}
	}
	if ev.WallMS != 0 {
		src.Values[12] = ev.WallMS
	}

	eb := &envelopeBox{}
	eb.st = connect.Struct{Schema: s.value, Values: eb.v[:]}
	val := &eb.st
	wrap := func(i int, doc []byte) error {
		v, err := b.json(doc, ev.DB, ev.Coll)
		if err != nil {
			return fmt.Errorf("mongodb: %s.%s: %w", ev.DB, ev.Coll, err)
		}
		val.Values[i] = v
		return nil
	}
	for i, d := range [][]byte{ev.Before, ev.Doc, ev.Patch, ev.Filter} {
		if err := wrap(i, d); err != nil {
			return out, err
		}
	}
	if ev.Updated != nil || ev.Removed != nil {
		ud := connect.NewStruct(updateDescSchema)
		if ev.Removed != nil {
			rm := make([]any, len(ev.Removed))
			for i, r := range ev.Removed {
				rm[i] = r
			}
			ud.Values[0] = rm
		}
		if ev.Updated != nil {
			js, err := b.json(ev.Updated, ev.DB, ev.Coll)
			if err != nil {
				return out, err
			}
			ud.Values[1] = js
		}
		ud.Values[2] = truncatedArrays(ev.Truncated)
		val.Values[4] = ud
	}
	val.Values[5] = src
	val.Values[6] = opAny(ev.Op)
	val.Values[7] = b.now()

	out = append(out, &connect.Record{
		Topic: s.topic, Partition: -1,
		KeySchema: s.key, Key: key,
		ValueSchema: s.value, Value: val,
		SourcePartition: partition, SourceOffset: offset,
	})
	if ev.Op == bsonx.OpDelete && b.cfg.tombstones {
		out = append(out, &connect.Record{
			Topic: s.topic, Partition: -1,
			KeySchema: s.key, Key: key,
			SourcePartition: partition, SourceOffset: offset,
		})
	}
	return out, nil
}

// keyBox, sourceBox and envelopeBox hold a struct and its values in one
// allocation instead of two; the struct's Values slice is the array.
type (
	keyBox struct {
		st connect.Struct
		v  [1]any
	}
	sourceBox struct {
		st connect.Struct
		v  [13]any
	}
	envelopeBox struct {
		st connect.Struct
		v  [8]any
	}
)

func truncatedArrays(raw []byte) any {
	if raw == nil {
		return nil
	}
	var out []any
	it := bsonx.NewIter(raw)
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		if e.Type != bsonx.TypeDocument {
			continue
		}
		st := connect.NewStruct(truncatedSchema)
		if f, ok, _ := bsonx.Lookup(e.Value, "field"); ok {
			st.Values[0], _ = f.StringValue()
		}
		if n, ok, _ := bsonx.Lookup(e.Value, "newSize"); ok {
			v, _ := n.Int64Value()
			st.Values[1] = int32(v)
		}
		if st.Values[0] == nil {
			st.Values[0] = ""
		}
		if st.Values[1] == nil {
			st.Values[1] = int32(0)
		}
		out = append(out, st)
	}
	return out
}
