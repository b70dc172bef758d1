package elasticsearch

import (
	"github.com/sluicedb/sluice/internal/connect"
)

// Mapping returns the mapping body ({"properties":{...}}) for a struct
// value schema, with the key fields the documents will carry, as the
// Confluent connector's Mapping builds it: integers by width, strings as
// text with a keyword sub-field, Decimal as double, the temporal logical
// types as date, bytes as binary. It returns nil for a schema that is not
// a struct: the server then maps documents dynamically.
func Mapping(value *connect.Schema, keys []keyField) []byte {
	if value == nil || value.Type != connect.StructType {
		return nil
	}
	b := []byte(`{"properties":{`)
	n := 0
	for _, k := range keys {
		if k.schema == nil || !mappable(k.schema) {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendString(b, k.name)
		b = append(b, ':')
		b = appendFieldMapping(b, k.schema)
	}
	for _, f := range value.Fields {
		if !mappable(f.Schema) {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendString(b, f.Name)
		b = append(b, ':')
		b = appendFieldMapping(b, f.Schema)
	}
	return append(b, "}}"...)
}

func appendFieldMapping(b []byte, s *connect.Schema) []byte {
	switch s.Name {
	case connect.DecimalName:
		return append(b, `{"type":"double"}`...)
	case connect.DateName, connect.TimeName, connect.TimestampName:
		return append(b, `{"type":"date"}`...)
	}
	switch s.Type {
	case connect.Boolean:
		return append(b, `{"type":"boolean"}`...)
	case connect.Int8:
		return append(b, `{"type":"byte"}`...)
	case connect.Int16:
		return append(b, `{"type":"short"}`...)
	case connect.Int32:
		return append(b, `{"type":"integer"}`...)
	case connect.Int64:
		return append(b, `{"type":"long"}`...)
	case connect.Float32:
		return append(b, `{"type":"float"}`...)
	case connect.Float64:
		return append(b, `{"type":"double"}`...)
	case connect.String:
		return append(b, `{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}}`...)
	case connect.Bytes:
		return append(b, `{"type":"binary"}`...)
	case connect.Array:
		// Arrays are implicit: a field holds one or many of its element.
		if s.Elem != nil {
			return appendFieldMapping(b, s.Elem)
		}
	case connect.StructType:
		b = append(b, `{"properties":{`...)
		n := 0
		for _, f := range s.Fields {
			if !mappable(f.Schema) {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendString(b, f.Name)
			b = append(b, ':')
			b = appendFieldMapping(b, f.Schema)
		}
		return append(b, "}}"...)
	}
	return append(b, `{"type":"object"}`...)
}

// mappable reports whether a field gets an explicit mapping. Maps are
// left to dynamic mapping: their JSON shape depends on the key type.
func mappable(s *connect.Schema) bool {
	for s.Type == connect.Array && s.Elem != nil {
		s = s.Elem
	}
	return s.Type != connect.Map && !(s.Type == connect.Array && s.Elem == nil)
}
