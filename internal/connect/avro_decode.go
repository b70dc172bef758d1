package connect

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// errAvroShort reports truncated Avro data.
var errAvroShort = errors.New("avro: truncated data")

// avroNode is a parsed Avro schema with the Connect schema it maps to, as
// Confluent's AvroData.toConnectSchema maps it.
type avroNode struct {
	kind     string // null, boolean, int, long, float, double, bytes, string, record, array, map, enum, fixed, union
	connect  *Schema
	fields   []*avroNode
	items    *avroNode // array items, map values
	branches []*avroNode
	symbols  []string
	size     int
	// nullIdx is the null branch of a ["null", T] union, T at 1-nullIdx.
	nullIdx int
	logical string
	scale   int
}

// parseAvroSchema parses Avro schema text into a tree for decoding.
func parseAvroSchema(text string) (*avroNode, error) {
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, fmt.Errorf("avro schema: %w", err)
	}
	p := &avroParser{named: map[string]*avroNode{}}
	return p.parse(v, "")
}

type avroParser struct{ named map[string]*avroNode }

func (p *avroParser) parse(v any, ns string) (*avroNode, error) {
	switch x := v.(type) {
	case string:
		return p.prim(x, nil, ns)
	case []any:
		n := &avroNode{kind: "union", nullIdx: -1}
		for _, b := range x {
			c, err := p.parse(b, ns)
			if err != nil {
				return nil, err
			}
			if c.kind == "null" {
				n.nullIdx = len(n.branches)
			}
			n.branches = append(n.branches, c)
		}
		if n.nullIdx >= 0 && len(n.branches) == 2 {
			n.connect = n.branches[1-n.nullIdx].connect.WithOptional(true)
			return n, nil
		}
		// A general union becomes a struct with one optional field per
		// branch, as AvroData does (io.confluent.connect.avro.Union).
		b := NewStructSchema(avroDefaultNS + ".Union").Optional()
		for i, br := range n.branches {
			if br.kind == "null" {
				continue
			}
			b.Field(unionFieldName(br, i), br.connect.WithOptional(true))
		}
		n.connect = b.Build()
		return n, nil
	case map[string]any:
		t, _ := x["type"].(string)
		if t == "" {
			return p.parse(x["type"], ns)
		}
		return p.prim(t, x, ns)
	}
	return nil, fmt.Errorf("avro schema: unexpected %T", v)
}

func unionFieldName(n *avroNode, i int) string {
	if n.connect.Name != "" {
		name := n.connect.Name
		if j := strings.LastIndexByte(name, '.'); j >= 0 {
			name = name[j+1:]
		}
		return name
	}
	return n.kind
}

func (p *avroParser) prim(t string, props map[string]any, ns string) (*avroNode, error) {
	n := &avroNode{kind: t}
	var s Schema
	str := func(k string) string { v, _ := props[k].(string); return v }
	switch t {
	case "null":
		n.connect = &Schema{Type: String, Optional: true}
		return n, nil
	case "boolean":
		s.Type = Boolean
	case "int":
		s.Type = Int32
		switch str(avroConnectType) {
		case "int8":
			s.Type = Int8
		case "int16":
			s.Type = Int16
		}
	case "long":
		s.Type = Int64
	case "float":
		s.Type = Float32
	case "double":
		s.Type = Float64
	case "bytes":
		s.Type = Bytes
	case "string":
		s.Type = String
	case "fixed":
		s.Type = Bytes
		size, _ := props["size"].(float64)
		n.size = int(size)
		p.named[p.fullName(str("name"), str("namespace"), ns)] = n
	case "enum":
		s.Type = String
		for _, sym := range asSlice(props["symbols"]) {
			str, _ := sym.(string)
			n.symbols = append(n.symbols, str)
		}
		p.named[p.fullName(str("name"), str("namespace"), ns)] = n
	case "array":
		it, err := p.parse(props["items"], ns)
		if err != nil {
			return nil, err
		}
		n.items = it
		s.Type, s.Elem = Array, it.connect
		if it.kind == "record" && it.connect.Name == avroDefaultNS+".MapEntry" && len(it.fields) == 2 {
			s.Type, s.KeyS, s.Elem = Map, it.fields[0].connect, it.fields[1].connect
		}
	case "map":
		it, err := p.parse(props["values"], ns)
		if err != nil {
			return nil, err
		}
		n.items = it
		s.Type, s.KeyS, s.Elem = Map, StringSchema, it.connect
	case "record", "error":
		full := p.fullName(str("name"), str("namespace"), ns)
		p.named[full] = n
		s.Type = StructType
		s.Name = full
		if dot := strings.LastIndexByte(full, '.'); dot >= 0 {
			ns = full[:dot]
		}
		for i, f := range asSlice(props["fields"]) {
			fm, _ := f.(map[string]any)
			fn, err := p.parse(fm["type"], ns)
			if err != nil {
				return nil, err
			}
			name, _ := fm["name"].(string)
			n.fields = append(n.fields, fn)
			s.Fields = append(s.Fields, Field{Name: name, Index: i, Schema: fn.connect})
		}
	default:
		full := p.fullName(t, "", ns)
		if ref, ok := p.named[full]; ok {
			return ref, nil
		}
		if ref, ok := p.named[t]; ok {
			return ref, nil
		}
		return nil, fmt.Errorf("avro schema: unknown type %q", t)
	}
	if name := str(avroConnectName); name != "" {
		s.Name = name
	}
	s.Doc = str(avroConnectDoc)
	if v, ok := props[avroConnectVersion].(float64); ok {
		s.Version = int(v)
	}
	if pm, ok := props[avroConnectParams].(map[string]any); ok {
		s.Params = map[string]string{}
		for k, v := range pm {
			s.Params[k] = fmt.Sprint(v)
		}
	}
	n.logical = str("logicalType")
	switch {
	case n.logical == "decimal" && (t == "bytes" || t == "fixed"):
		sc, _ := props["scale"].(float64)
		n.scale = int(sc)
		s.Name, s.Version = DecimalName, 1
		if s.Params == nil {
			s.Params = map[string]string{}
		}
		s.Params[DecimalScaleParam] = strconv.Itoa(n.scale)
	case n.logical == "date" && t == "int":
		s.Name, s.Version = DateName, 1
	case n.logical == "time-millis" && t == "int":
		s.Name, s.Version = TimeName, 1
	case n.logical == "timestamp-millis" && t == "long":
		s.Name, s.Version = TimestampName, 1
	}
	n.connect = &s
	return n, nil
}

func (p *avroParser) fullName(name, namespace, enclosing string) string {
	if strings.Contains(name, ".") {
		return name
	}
	if namespace == "" {
		namespace = enclosing
	}
	if namespace == "" {
		return name
	}
	return namespace + "." + name
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// decodeAvro reads one value of n from b and returns the Connect value and
// the rest of b.
func decodeAvro(n *avroNode, b []byte) (any, []byte, error) {
	switch n.kind {
	case "null":
		return nil, b, nil
	case "boolean":
		if len(b) < 1 {
			return nil, nil, errAvroShort
		}
		return b[0] != 0, b[1:], nil
	case "int", "long":
		v, rest, err := readLong(b)
		if err != nil {
			return nil, nil, err
		}
		switch n.connect.Name {
		case DateName:
			return time.Unix(v*86400, 0).UTC(), rest, nil
		case TimeName:
			return time.UnixMilli(v).UTC(), rest, nil
		case TimestampName:
			return time.UnixMilli(v).UTC(), rest, nil
		}
		switch n.connect.Type {
		case Int8:
			return int8(v), rest, nil
		case Int16:
			return int16(v), rest, nil
		case Int32:
			return int32(v), rest, nil
		}
		return v, rest, nil
	case "float":
		if len(b) < 4 {
			return nil, nil, errAvroShort
		}
		return math.Float32frombits(binary.LittleEndian.Uint32(b)), b[4:], nil
	case "double":
		if len(b) < 8 {
			return nil, nil, errAvroShort
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), b[8:], nil
	case "bytes", "string", "fixed":
		var raw []byte
		if n.kind == "fixed" {
			if len(b) < n.size {
				return nil, nil, errAvroShort
			}
			raw, b = b[:n.size], b[n.size:]
		} else {
			l, rest, err := readLong(b)
			if err != nil {
				return nil, nil, err
			}
			if l < 0 || int64(len(rest)) < l {
				return nil, nil, errAvroShort
			}
			raw, b = rest[:l], rest[l:]
		}
		if n.kind == "string" {
			return string(raw), b, nil
		}
		if n.connect.Name == DecimalName {
			return decimalFromBytes(raw, n.scale), b, nil
		}
		return append([]byte(nil), raw...), b, nil
	case "enum":
		i, rest, err := readLong(b)
		if err != nil {
			return nil, nil, err
		}
		if i < 0 || int(i) >= len(n.symbols) {
			return nil, nil, fmt.Errorf("avro: enum index %d out of range", i)
		}
		return n.symbols[i], rest, nil
	case "union":
		i, rest, err := readLong(b)
		if err != nil {
			return nil, nil, err
		}
		if i < 0 || int(i) >= len(n.branches) {
			return nil, nil, fmt.Errorf("avro: union index %d out of range", i)
		}
		v, rest, err := decodeAvro(n.branches[i], rest)
		if err != nil || n.nullIdx >= 0 && len(n.branches) == 2 {
			return v, rest, err
		}
		st := NewStruct(n.connect)
		if v != nil {
			st.Put(unionFieldName(n.branches[i], int(i)), v)
		}
		return st, rest, nil
	case "record", "error":
		st := NewStruct(n.connect)
		for i, f := range n.fields {
			v, rest, err := decodeAvro(f, b)
			if err != nil {
				return nil, nil, fmt.Errorf("field %s: %w", n.connect.Fields[i].Name, err)
			}
			st.Values[i], b = v, rest
		}
		return st, b, nil
	case "array":
		var out []any
		var m map[any]any
		isMap := n.connect.Type == Map
		if isMap {
			m = map[any]any{}
		}
		err := readBlocks(&b, func() error {
			v, rest, err := decodeAvro(n.items, b)
			if err != nil {
				return err
			}
			b = rest
			if isMap {
				e := v.(*Struct)
				m[e.Values[0]] = e.Values[1]
			} else {
				out = append(out, v)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		if isMap {
			return m, b, nil
		}
		if out == nil {
			out = []any{}
		}
		return out, b, nil
	case "map":
		m := map[string]any{}
		err := readBlocks(&b, func() error {
			l, rest, err := readLong(b)
			if err != nil {
				return err
			}
			if l < 0 || int64(len(rest)) < l {
				return errAvroShort
			}
			k := string(rest[:l])
			v, rest, err := decodeAvro(n.items, rest[l:])
			if err != nil {
				return err
			}
			m[k], b = v, rest
			return nil
		})
		return m, b, err
	}
	return nil, nil, fmt.Errorf("avro: cannot decode %s", n.kind)
}

func readBlocks(b *[]byte, item func() error) error {
	for {
		count, rest, err := readLong(*b)
		if err != nil {
			return err
		}
		*b = rest
		if count == 0 {
			return nil
		}
		if count < 0 {
			count = -count
			if _, rest, err = readLong(*b); err != nil { // block size in bytes
				return err
			}
			*b = rest
		}
		if count > int64(len(*b))+1 {
			return errAvroShort
		}
		for i := int64(0); i < count; i++ {
			if err := item(); err != nil {
				return err
			}
		}
	}
}

func readLong(b []byte) (int64, []byte, error) {
	u, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, errAvroShort
	}
	return int64(u>>1) ^ -int64(u&1), b[n:], nil
}
