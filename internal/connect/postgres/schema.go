package postgres

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/connect"
)

// Debezium's semantic type names.
const (
	dbzDate           = "io.debezium.time.Date"
	dbzTime           = "io.debezium.time.Time"
	dbzMicroTime      = "io.debezium.time.MicroTime"
	dbzTimestamp      = "io.debezium.time.Timestamp"
	dbzMicroTimestamp = "io.debezium.time.MicroTimestamp"
	dbzZonedTimestamp = "io.debezium.time.ZonedTimestamp"
	dbzZonedTime      = "io.debezium.time.ZonedTime"
	dbzMicroDuration  = "io.debezium.time.MicroDuration"
	dbzInterval       = "io.debezium.time.Interval"
	dbzUUID           = "io.debezium.data.Uuid"
	dbzJSON           = "io.debezium.data.Json"
	dbzXML            = "io.debezium.data.Xml"
	dbzEnum           = "io.debezium.data.Enum"
	dbzVarDecimal     = "io.debezium.data.VariableScaleDecimal"
	dbzBits           = "io.debezium.data.Bits"
	connectorVersion  = "2.7.0.Final-sluice"
)

// Built-in type OIDs (pg_type.h).
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidJSON        = 114
	oidXML         = 142
	oidCIDR        = 650
	oidFloat4      = 700
	oidFloat8      = 701
	oidMoney       = 790
	oidMacaddr     = 829
	oidInet        = 869
	oidBPChar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestampTZ = 1184
	oidInterval    = 1186
	oidTimeTZ      = 1266
	oidBit         = 1560
	oidVarbit      = 1562
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802
)

// pgType is what the connector knows of a data type: enough to map it to
// a Connect schema. Builtins need no catalog lookup; enums, domains and
// arrays are looked up once per OID.
type pgType struct {
	oid      uint32
	name     string
	kind     byte    // typtype: b base, e enum, d domain, c composite, ...
	elem     *pgType // array element
	base     *pgType // domain base
	baseMod  int32
	enumVals []string
}

// column is one captured column of a table.
type column struct {
	name    string
	typ     *pgType
	mod     int32
	notNull bool
	key     bool // part of the primary key
	schema  *connect.Schema
	conv    textConv
	field   int // index in the value struct, -1 when filtered out
}

// table is a captured table's current shape and schemas.
type table struct {
	relID        uint32
	schema, name string
	// schemaV and nameV are schema and name already in interfaces: every
	// change's source block holds them, and converting a string to an
	// interface allocates.
	schemaV, nameV any
	topic          string
	cols           []column // in tuple order
	keyCols        []int    // indices into cols, in primary key order
	keySchema      *connect.Schema
	valueSchema    *connect.Schema
	envSchema      *connect.Schema
	replIdent      byte
}

// sourceSchema is Debezium's io.debezium.connector.postgresql.Source.
var sourceSchema = connect.NewStructSchema("io.debezium.connector.postgresql.Source").
	Field("version", connect.StringSchema).
	Field("connector", connect.StringSchema).
	Field("name", connect.StringSchema).
	Field("ts_ms", connect.Int64Schema).
	Field("snapshot", &connect.Schema{Type: connect.String, Optional: true, Name: dbzEnum, Version: 1, Default: "false",
		Params: map[string]string{"allowed": "true,last,false,incremental"}}).
	Field("db", connect.StringSchema).
	Field("sequence", connect.OptString).
	Field("schema", connect.StringSchema).
	Field("table", connect.StringSchema).
	Field("txId", connect.OptInt64).
	Field("lsn", connect.OptInt64).
	Field("xmin", connect.OptInt64).
	Build()

// transactionSchema is Debezium's event.block.
var transactionSchema = connect.NewStructSchema("event.block").Version(1).Optional().
	Field("id", connect.StringSchema).
	Field("total_order", connect.Int64Schema).
	Field("data_collection_order", connect.Int64Schema).
	Build()

// schemaName is a Debezium schema name, made a valid Avro name unless
// schema.name.adjustment.mode=none.
func (c *config) schemaName(parts ...string) string {
	n := strings.Join(parts, ".")
	if c.adjustNames {
		return connect.SanitizeAvroName(n)
	}
	return n
}

// buildSchemas derives a table's key, value and envelope schemas from its
// columns.
func (c *config) buildSchemas(t *table) error {
	base := c.prefix + "." + t.schema + "." + t.name
	t.topic = base
	vb := connect.NewStructSchema(c.schemaName(c.prefix, t.schema, t.name, "Value")).Optional()
	n := 0
	for i := range t.cols {
		col := &t.cols[i]
		col.field = -1
		if !c.columnCaptured(t.schema, t.name, col.name) && !col.key {
			continue
		}
		s, conv, err := c.mapType(col.typ, col.mod)
		if err != nil {
			return fmt.Errorf("column %s.%s.%s: %w", t.schema, t.name, col.name, err)
		}
		if s == nil {
			continue // an unknown type, skipped as Debezium does
		}
		col.schema = s.WithOptional(!col.notNull && !col.key)
		col.conv = conv
		col.field = n
		n++
		vb.Field(col.name, col.schema)
	}
	t.valueSchema = vb.Build()
	t.keySchema = nil
	if len(t.keyCols) > 0 {
		kb := connect.NewStructSchema(c.schemaName(c.prefix, t.schema, t.name, "Key"))
		for _, i := range t.keyCols {
			kb.Field(t.cols[i].name, t.cols[i].schema.WithOptional(false))
		}
		t.keySchema = kb.Build()
	}
	t.envSchema = connect.NewStructSchema(c.schemaName(c.prefix, t.schema, t.name, "Envelope")).Version(1).
		Field("before", t.valueSchema).
		Field("after", t.valueSchema).
		Field("source", sourceSchema).
		Field("op", connect.StringSchema).
		Field("ts_ms", connect.OptInt64).
		Field("transaction", transactionSchema).
		Build()
	return nil
}

func named(t connect.Type, name string) *connect.Schema {
	return &connect.Schema{Type: t, Name: name, Version: 1}
}

// typmod helpers: numeric packs precision and scale, time types their
// fractional digits.
func numericPS(mod int32) (prec, scale int, ok bool) {
	if mod < 4 {
		return 0, 0, false
	}
	m := mod - 4
	return int(m>>16) & 0xffff, int(m) & 0xffff, true
}

func timePrecision(mod int32) int {
	if mod < 0 {
		return 6
	}
	return int(mod)
}

// mapType returns the Connect schema (not optional) of a column type and
// the function that parses its text form, following Debezium's default
// mappings and the decimal/time/binary/interval handling modes. A nil
// schema means the column is skipped.
func (c *config) mapType(t *pgType, mod int32) (*connect.Schema, textConv, error) {
	if t.elem != nil {
		es, econv, err := c.mapType(t.elem, -1)
		if err != nil || es == nil {
			return nil, nil, err
		}
		es = es.WithOptional(true)
		return &connect.Schema{Type: connect.Array, Elem: es}, arrayConv(econv), nil
	}
	if t.base != nil {
		bm := mod
		if bm < 0 {
			bm = t.baseMod
		}
		return c.mapType(t.base, bm)
	}
	if t.kind == 'e' {
		return &connect.Schema{Type: connect.String, Name: dbzEnum, Version: 1, Params: map[string]string{"allowed": strings.Join(t.enumVals, ",")}}, convString, nil
	}
	adaptive := c.timeMode != "connect"
	switch t.oid {
	case oidBool:
		return connect.BooleanSchema, convBool, nil
	case oidInt2:
		return connect.Int16Schema, convInt16, nil
	case oidInt4:
		return connect.Int32Schema, convInt32, nil
	case oidInt8, oidOID:
		return connect.Int64Schema, convInt64, nil
	case oidFloat4:
		return connect.Float32Schema, convFloat32, nil
	case oidFloat8:
		return connect.Float64Schema, convFloat64, nil
	case oidNumeric, oidMoney:
		prec, scale, fixed := numericPS(mod)
		if t.oid == oidMoney {
			prec, scale, fixed = 0, 2, true
		}
		switch c.decimalMode {
		case "double":
			return connect.Float64Schema, convNumericDouble, nil
		case "string":
			return connect.StringSchema, convNumericString, nil
		}
		if !fixed {
			vs := connect.NewStructSchema(dbzVarDecimal).Version(1).Doc("Variable scaled decimal").
				Field("scale", connect.Int32Schema).
				Field("value", connect.BytesSchema).Build()
			return vs, convVarDecimal(vs), nil
		}
		s := connect.DecimalSchema(scale, false)
		if prec > 0 {
			s.Params["connect.decimal.precision"] = strconv.Itoa(prec)
		}
		return s, convDecimal(scale), nil
	case oidText, oidVarchar, oidBPChar, oidChar, oidName, oidInet, oidCIDR, oidMacaddr:
		return connect.StringSchema, convString, nil
	case oidJSON, oidJSONB:
		return named(connect.String, dbzJSON), convString, nil
	case oidXML:
		return named(connect.String, dbzXML), convString, nil
	case oidUUID:
		return named(connect.String, dbzUUID), convString, nil
	case oidBytea:
		switch c.binaryMode {
		case "base64":
			return connect.StringSchema, convByteaBase64, nil
		case "hex":
			return connect.StringSchema, convByteaHex, nil
		}
		return connect.BytesSchema, convBytea, nil
	case oidDate:
		if !adaptive {
			return &connect.Schema{Type: connect.Int32, Name: connect.DateName, Version: 1}, convDateConnect, nil
		}
		return named(connect.Int32, dbzDate), convDate, nil
	case oidTime:
		p := timePrecision(mod)
		switch {
		case !adaptive:
			return &connect.Schema{Type: connect.Int32, Name: connect.TimeName, Version: 1}, convTimeConnect, nil
		case c.timeMode == "adaptive" && p <= 3:
			return named(connect.Int32, dbzTime), convTimeMillis, nil
		}
		return named(connect.Int64, dbzMicroTime), convTimeMicros, nil
	case oidTimeTZ:
		return named(connect.String, dbzZonedTime), convTimeTZ, nil
	case oidTimestamp:
		p := timePrecision(mod)
		switch {
		case !adaptive:
			return &connect.Schema{Type: connect.Int64, Name: connect.TimestampName, Version: 1}, convTimestampConnect, nil
		case p <= 3:
			return named(connect.Int64, dbzTimestamp), convTimestampMillis, nil
		}
		return named(connect.Int64, dbzMicroTimestamp), convTimestampMicros, nil
	case oidTimestampTZ:
		return named(connect.String, dbzZonedTimestamp), convTimestampTZ, nil
	case oidInterval:
		if c.intervalMode == "string" {
			return named(connect.String, dbzInterval), convIntervalString, nil
		}
		return named(connect.Int64, dbzMicroDuration), convInterval, nil
	case oidBit:
		if mod <= 1 {
			return connect.BooleanSchema, convBit, nil
		}
		return &connect.Schema{Type: connect.Bytes, Name: dbzBits, Version: 1, Params: map[string]string{"length": strconv.Itoa(int(mod))}}, convBits, nil
	case oidVarbit:
		return &connect.Schema{Type: connect.Bytes, Name: dbzBits, Version: 1, Params: map[string]string{"length": strconv.Itoa(int(mod))}}, convBits, nil
	}
	// Types Debezium has no mapping for (geometry, ranges, hstore, ...)
	// are captured as their text form.
	return connect.StringSchema, convString, nil
}
