package format

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hamba/avro/v2"

	"github.com/sluicedb/sluice/internal/types"
)

// DefaultAvroSchemaName is the record name ksqlDB gives the schemas it
// generates when no FULL_SCHEMA_NAME is set.
const DefaultAvroSchemaName = "io.confluent.ksql.avro_schemas.KsqlDataSourceSchema"

// Kafka Connect logical type names, which Confluent's converters write as
// connect.name and ksqlDB reads back.
const (
	connectDecimal   = "org.apache.kafka.connect.data.Decimal"
	connectDate      = "org.apache.kafka.connect.data.Date"
	connectTime      = "org.apache.kafka.connect.data.Time"
	connectTimestamp = "org.apache.kafka.connect.data.Timestamp"
)

// AvroSchemaFor returns the Avro schema ksqlDB generates for columns: a
// record named fullName (nested structs named fullName_FIELD), every field
// an optional union ["null", T] defaulting to null, DECIMAL as bytes with
// the decimal logical type, DATE/TIME/TIMESTAMP with their logical types.
// With unwrapped, the single column's type is the schema itself.
func AvroSchemaFor(cols []Column, fullName string, unwrapped bool) (string, error) {
	if strings.TrimSpace(fullName) == "" {
		return "", newErr(ErrUnsupported, "fullSchemaName cannot be empty. Format configuration: {fullSchemaName=%s}", strings.TrimSpace(fullName))
	}
	if err := checkAvroCols(cols); err != nil {
		return "", err
	}
	var doc any
	if unwrapped {
		doc = avroTypeOf(cols[0].Type, fullName, false)
	} else {
		fs := make([]types.Field, len(cols))
		for i, c := range cols {
			fs[i] = types.Field{Name: c.Name, Type: c.Type}
		}
		doc = avroRecord(fs, fullName)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", &Error{Kind: ErrSchema, Msg: "generate Avro schema", Err: err}
	}
	return string(b), nil
}

func checkAvroCols(cols []Column) error {
	for _, c := range cols {
		if err := checkAvroType(c.Name, c.Type); err != nil {
			return err
		}
	}
	return nil
}

// checkAvroType applies Avro's name rules and ksqlDB's map-key limit, with
// the messages Avro's Java library and ksqlDB give.
func checkAvroType(name string, t *types.Type) error {
	name = avroFieldName(name)
	if name != "" {
		if c := name[0]; !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return newErr(ErrUnsupported, "Schema is not compatible with Avro: Illegal initial character: %s", name)
		}
		for i := 1; i < len(name); i++ {
			c := name[i]
			if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
				return newErr(ErrUnsupported, "Schema is not compatible with Avro: Illegal character in: %s", name)
			}
		}
	}
	switch t.Kind {
	case types.Array:
		return checkAvroType("", t.Elem)
	case types.Map:
		if t.Key.Kind != types.String {
			return newErr(ErrUnsupported, "Avro only supports MAPs with STRING keys")
		}
		return checkAvroType("", t.Elem)
	case types.Struct:
		for _, f := range t.Fields {
			if err := checkAvroType(f.Name, f.Type); err != nil {
				return err
			}
		}
	}
	return nil
}

func avroRecord(fs []types.Field, fullName string) map[string]any {
	ns, name := "", fullName
	if i := strings.LastIndexByte(fullName, '.'); i >= 0 {
		ns, name = fullName[:i], fullName[i+1:]
	}
	fields := make([]any, len(fs))
	for i, f := range fs {
		fields[i] = map[string]any{
			"name":    avroFieldName(f.Name),
			"type":    avroTypeOf(f.Type, fullName+"_"+f.Name, true),
			"default": nil,
		}
	}
	rec := map[string]any{"type": "record", "name": name, "fields": fields, "connect.name": fullName}
	if ns != "" {
		rec["namespace"] = ns
	}
	return rec
}

// avroFieldName is the Avro spelling of a column or field name: ksqlDB
// replaces the dots of qualified names (T.ID) with underscores.
func avroFieldName(n string) string { return strings.ReplaceAll(n, ".", "_") }

// avroTypeOf returns t's Avro schema; optional wraps it in ["null", T].
func avroTypeOf(t *types.Type, name string, optional bool) any {
	var s any
	switch t.Kind {
	case types.Boolean:
		s = "boolean"
	case types.Int:
		s = "int"
	case types.Bigint:
		s = "long"
	case types.Double:
		s = "double"
	case types.String:
		s = "string"
	case types.Bytes:
		s = "bytes"
	case types.Decimal:
		s = map[string]any{"type": "bytes", "scale": t.Scale, "precision": t.Precision,
			"connect.version": 1, "connect.name": connectDecimal, "logicalType": "decimal",
			"connect.parameters": map[string]any{"scale": fmt.Sprint(t.Scale), "connect.decimal.precision": fmt.Sprint(t.Precision)}}
	case types.Date:
		s = map[string]any{"type": "int", "connect.version": 1, "connect.name": connectDate, "logicalType": "date"}
	case types.Time:
		s = map[string]any{"type": "int", "connect.version": 1, "connect.name": connectTime, "logicalType": "time-millis"}
	case types.Timestamp:
		s = map[string]any{"type": "long", "connect.version": 1, "connect.name": connectTimestamp, "logicalType": "timestamp-millis"}
	case types.Array:
		s = map[string]any{"type": "array", "items": avroTypeOf(t.Elem, name, true)}
	case types.Map:
		s = map[string]any{"type": "map", "values": avroTypeOf(t.Elem, name+"_MapValue", true)}
	case types.Struct:
		s = avroRecord(t.Fields, name)
	default:
		s = "null"
	}
	if optional {
		return []any{"null", s}
	}
	return s
}

// parseAvro parses schema text with its resolved references in a private
// cache, so one subject's named types never leak into another's.
func parseAvro(s Schema) (avro.Schema, error) {
	cache := &avro.SchemaCache{}
	for _, name := range sortedKeys(s.Refs) {
		if _, err := avro.ParseWithCache(s.Refs[name], "", cache); err != nil {
			return nil, &Error{Kind: ErrSchema, Msg: "parse Avro reference " + name, Err: err}
		}
	}
	sch, err := avro.ParseWithCache(s.Text, "", cache)
	if err != nil {
		return nil, &Error{Kind: ErrSchema, Msg: "parse Avro schema", Err: err}
	}
	return sch, nil
}

// inferAvro maps an Avro schema to ksqlDB columns, as CREATE STREAM/TABLE
// without columns does. A record's fields become columns, their names
// upper-cased unless keep; any other schema becomes one unwrapped column
// named ROWKEY (keys) or ROWVAL (values).
func inferAvro(s Schema, isKey, keep bool) (cols []Column, unwrapped bool, err error) {
	sch, err := parseAvro(s)
	if err != nil {
		return nil, false, err
	}
	sch = derefAvro(sch)
	if rec, ok := sch.(*avro.RecordSchema); ok {
		for _, f := range rec.Fields() {
			t, err := avroToSQL(f.Type(), keep, 0)
			if err != nil {
				return nil, false, &Error{Kind: ErrSchema, Msg: "field " + f.Name(), Err: err}
			}
			cols = append(cols, Column{Name: caseName(f.Name(), keep), Type: t})
		}
		return cols, false, nil
	}
	t, err := avroToSQL(sch, keep, 0)
	if err != nil {
		return nil, false, &Error{Kind: ErrSchema, Msg: "infer columns", Err: err}
	}
	name := "ROWVAL"
	if isKey {
		name = "ROWKEY"
	}
	return []Column{{Name: name, Type: t}}, true, nil
}

func derefAvro(s avro.Schema) avro.Schema {
	for {
		r, ok := s.(*avro.RefSchema)
		if !ok {
			return s
		}
		s = r.Schema()
	}
}

// avroProp returns a string property of a schema, such as connect.name.
func avroProp(s avro.Schema, name string) string {
	if p, ok := s.(interface{ Prop(string) any }); ok {
		if v, ok := p.Prop(name).(string); ok {
			return v
		}
	}
	return ""
}

// avroDecimalParams returns a decimal's precision and scale from the
// logical type or Connect's parameters; precision defaults to 64 as
// Confluent's converter does.
func avroDecimalParams(s avro.Schema) (prec, scale int, ok bool) {
	if l, isL := s.(avro.LogicalTypeSchema); isL && l.Logical() != nil {
		if d, isD := l.Logical().(*avro.DecimalLogicalSchema); isD {
			p := d.Precision()
			if p == 0 {
				p = 64
			}
			return p, d.Scale(), true
		}
	}
	if avroProp(s, "connect.name") == connectDecimal || avroProp(s, "logicalType") == "decimal" {
		prec, scale = 64, 0
		if p, isP := s.(interface{ Prop(string) any }); isP {
			if params, isM := p.Prop("connect.parameters").(map[string]any); isM {
				fmt.Sscan(fmt.Sprint(params["scale"]), &scale)
				if v, has := params["connect.decimal.precision"]; has {
					fmt.Sscan(fmt.Sprint(v), &prec)
				}
			}
			if v, has := p.Prop("scale").(float64); has {
				scale = int(v)
			}
			if v, has := p.Prop("precision").(float64); has {
				prec = int(v)
			}
		}
		if prec < 1 {
			prec = 64
		}
		if scale > prec {
			prec = scale
		}
		return prec, scale, true
	}
	return 0, 0, false
}

// avroLogical returns the logical type name of s, or Connect's equivalent.
func avroLogical(s avro.Schema) string {
	if l, ok := s.(avro.LogicalTypeSchema); ok && l.Logical() != nil {
		return string(l.Logical().Type())
	}
	switch avroProp(s, "connect.name") {
	case connectDate:
		return "date"
	case connectTime:
		return "time-millis"
	case connectTimestamp:
		return "timestamp-millis"
	case "io.debezium.time.MicroTimestamp", "io.debezium.time.MicroTime":
		// Plain longs to ksqlDB (they infer as BIGINT), but in micros when
		// read into a TIMESTAMP or TIME column.
		return "debezium-micros"
	case "io.debezium.time.NanoTimestamp", "io.debezium.time.NanoTime":
		return "debezium-nanos"
	}
	return ""
}

// temporalUnit is what a long must be divided by to give the milliseconds
// of a TIMESTAMP or TIME column: 1000 for micros, 10^6 for nanos. Other
// column types take the number as written.
func temporalUnit(logical string, t *types.Type) int64 {
	if t.Kind != types.Timestamp && t.Kind != types.Time {
		return 1
	}
	switch logical {
	case "timestamp-micros", "time-micros", "local-timestamp-micros", "debezium-micros":
		return 1000
	case "debezium-nanos":
		return 1000000
	}
	return 1
}

func avroToSQL(s avro.Schema, keep bool, depth int) (*types.Type, error) {
	if depth > 64 {
		return nil, fmt.Errorf("schema nests too deeply (recursive types are not supported)")
	}
	s = derefAvro(s)
	switch s.Type() {
	case avro.Boolean:
		return types.BooleanType, nil
	case avro.Int:
		switch avroLogical(s) {
		case "date":
			return types.DateType, nil
		case "time-millis":
			return types.TimeType, nil
		}
		return types.IntType, nil
	case avro.Long:
		switch avroLogical(s) {
		case "timestamp-millis", "timestamp-micros", "local-timestamp-millis", "local-timestamp-micros":
			return types.TimestampType, nil
		case "time-micros":
			return types.TimeType, nil
		}
		return types.BigintType, nil
	case avro.Float, avro.Double:
		return types.DoubleType, nil
	case avro.String, avro.Enum:
		return types.StringType, nil
	case avro.Bytes, avro.Fixed:
		if p, sc, ok := avroDecimalParams(s); ok {
			return types.DecimalOf(p, sc)
		}
		return types.BytesType, nil
	case avro.Array:
		if rec, _, _, ok := avroEntries(s.(*avro.ArraySchema)); ok &&
			(rec.FullName() == "io.confluent.connect.avro.MapEntry" || avroProp(rec, "connect.name") == "io.confluent.connect.avro.MapEntry") {
			var k, v *types.Type
			for _, f := range rec.Fields() {
				t, err := avroToSQL(f.Type(), keep, depth+1)
				if err != nil {
					return nil, err
				}
				switch f.Name() {
				case "key":
					k = t
				case "value":
					v = t
				}
			}
			return types.MapOf(k, v), nil
		}
		e, err := avroToSQL(s.(*avro.ArraySchema).Items(), keep, depth+1)
		if err != nil {
			return nil, err
		}
		return types.ArrayOf(e), nil
	case avro.Map:
		e, err := avroToSQL(s.(*avro.MapSchema).Values(), keep, depth+1)
		if err != nil {
			return nil, err
		}
		return types.MapOf(types.StringType, e), nil
	case avro.Record:
		rec := s.(*avro.RecordSchema)
		fs := make([]types.Field, 0, len(rec.Fields()))
		for _, f := range rec.Fields() {
			t, err := avroToSQL(f.Type(), keep, depth+1)
			if err != nil {
				return nil, err
			}
			fs = append(fs, types.Field{Name: caseName(f.Name(), keep), Type: t})
		}
		return types.StructOf(fs...), nil
	case avro.Union:
		branches := nonNull(s.(*avro.UnionSchema))
		if len(branches) == 1 {
			return avroToSQL(branches[0], keep, depth+1)
		}
		// Confluent's converter turns a general union into a struct with
		// one optional field per branch, named after the branch's type.
		fs := make([]types.Field, 0, len(branches))
		for _, b := range branches {
			t, err := avroToSQL(b, keep, depth+1)
			if err != nil {
				return nil, err
			}
			fs = append(fs, types.Field{Name: caseName(avroBranchName(b), keep), Type: t})
		}
		return types.StructOf(fs...), nil
	}
	return nil, fmt.Errorf("Avro type %s is not supported", s.Type())
}

func nonNull(u *avro.UnionSchema) []avro.Schema {
	var out []avro.Schema
	for _, t := range u.Types() {
		if t.Type() != avro.Null {
			out = append(out, t)
		}
	}
	return out
}

// avroBranchName names a union branch as Confluent's AvroData does: the
// short name of a named type, else the type name.
func avroBranchName(s avro.Schema) string {
	s = derefAvro(s)
	if n, ok := s.(avro.NamedSchema); ok {
		return n.Name()
	}
	return string(s.Type())
}
