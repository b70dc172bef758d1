package connect

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"time"
)

// appendAvro appends v in Avro binary encoding following the Avro schema
// avroSchemaJSON derives from s.
func appendAvro(b []byte, s *Schema, v any) ([]byte, error) {
	if st, ok := v.(*Struct); ok && st == nil {
		v = nil
	}
	if s.Optional {
		if v == nil {
			return append(b, 0), nil // union branch 0: null
		}
		b = append(b, 2) // zigzag(1): the value's branch
	} else if v == nil {
		if s.Default != nil {
			v = s.Default
		} else {
			return nil, fmt.Errorf("avro: null value for required %s schema %s", s.Type, s.Name)
		}
	}
	switch s.Name {
	case DecimalName:
		d, ok := v.(Decimal)
		if !ok {
			return nil, fmt.Errorf("avro: %s needs a Decimal, got %T", s.Name, v)
		}
		scale, _ := strconv.Atoi(s.Params[DecimalScaleParam])
		return appendBytes(b, decimalBytes(rescale(d, scale))), nil
	case DateName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("avro: %s needs a time.Time, got %T", s.Name, v)
		}
		return appendLong(b, int64(math.Floor(float64(t.UTC().Unix())/86400))), nil
	case TimeName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("avro: %s needs a time.Time, got %T", s.Name, v)
		}
		t = t.UTC()
		return appendLong(b, int64(t.Hour()*3600000+t.Minute()*60000+t.Second()*1000+t.Nanosecond()/1e6)), nil
	case TimestampName:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("avro: %s needs a time.Time, got %T", s.Name, v)
		}
		return appendLong(b, t.UnixMilli()), nil
	}
	switch s.Type {
	case Int8, Int16, Int32, Int64:
		n, ok := toInt64(v)
		if !ok {
			return nil, fmt.Errorf("avro: %s needs an integer, got %T", s.Type, v)
		}
		return appendLong(b, n), nil
	case Float32:
		f, ok := v.(float32)
		if !ok {
			return nil, fmt.Errorf("avro: float32 needs a float32, got %T", v)
		}
		return binary.LittleEndian.AppendUint32(b, math.Float32bits(f)), nil
	case Float64:
		f, ok := v.(float64)
		if !ok {
			return nil, fmt.Errorf("avro: float64 needs a float64, got %T", v)
		}
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(f)), nil
	case Boolean:
		t, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("avro: boolean needs a bool, got %T", v)
		}
		if t {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case String:
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("avro: string needs a string, got %T", v)
		}
		b = appendLong(b, int64(len(str)))
		return append(b, str...), nil
	case Bytes:
		bs, ok := v.([]byte)
		if !ok {
			return nil, fmt.Errorf("avro: bytes needs []byte, got %T", v)
		}
		return appendBytes(b, bs), nil
	case Array:
		items, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("avro: array needs []any, got %T", v)
		}
		if len(items) > 0 {
			b = appendLong(b, int64(len(items)))
			var err error
			for _, it := range items {
				if b, err = appendAvro(b, s.Elem, it); err != nil {
					return nil, err
				}
			}
		}
		return append(b, 0), nil
	case Map:
		return appendAvroMap(b, s, v)
	case StructType:
		st, ok := v.(*Struct)
		if !ok {
			return nil, fmt.Errorf("avro: struct needs *Struct, got %T", v)
		}
		var err error
		for i, f := range s.Fields {
			var fv any
			if i < len(st.Values) {
				fv = st.Values[i]
			}
			if b, err = appendAvro(b, f.Schema, fv); err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Name, err)
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("avro: unsupported connect type %v", s.Type)
}

func appendAvroMap(b []byte, s *Schema, v any) ([]byte, error) {
	stringKeys := s.KeyS != nil && s.KeyS.Type == String && !s.KeyS.Optional
	type entry struct{ k, v any }
	var entries []entry
	switch m := v.(type) {
	case map[string]any:
		for k, x := range m {
			entries = append(entries, entry{k, x})
		}
	case map[any]any:
		for k, x := range m {
			entries = append(entries, entry{k, x})
		}
	default:
		return nil, fmt.Errorf("avro: map needs a map, got %T", v)
	}
	// Sorted keys make the encoding deterministic.
	sort.Slice(entries, func(i, j int) bool { return fmt.Sprint(entries[i].k) < fmt.Sprint(entries[j].k) })
	var err error
	if len(entries) > 0 {
		b = appendLong(b, int64(len(entries)))
		for _, e := range entries {
			if stringKeys {
				k, _ := e.k.(string)
				b = appendLong(b, int64(len(k)))
				b = append(b, k...)
			} else if b, err = appendAvro(b, s.KeyS, e.k); err != nil {
				return nil, err
			}
			if b, err = appendAvro(b, s.Elem, e.v); err != nil {
				return nil, err
			}
		}
	}
	return append(b, 0), nil
}

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case int:
		return int64(n), true
	}
	return 0, false
}

func appendLong(b []byte, n int64) []byte {
	return binary.AppendUvarint(b, uint64((n<<1)^(n>>63)))
}

func appendBytes(b, bs []byte) []byte {
	b = appendLong(b, int64(len(bs)))
	return append(b, bs...)
}

// rescale returns d at scale, rounding half up when digits are dropped.
func rescale(d Decimal, scale int) Decimal {
	u := d.Unscaled
	if u == nil {
		u = new(big.Int)
	}
	switch {
	case scale == d.Scale:
		return Decimal{Unscaled: u, Scale: scale}
	case scale > d.Scale:
		m := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-d.Scale)), nil)
		return Decimal{Unscaled: new(big.Int).Mul(u, m), Scale: scale}
	}
	m := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale-scale)), nil)
	q, r := new(big.Int).QuoRem(u, m, new(big.Int))
	if new(big.Int).Abs(new(big.Int).Mul(r, big.NewInt(2))).Cmp(m) >= 0 {
		if u.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return Decimal{Unscaled: q, Scale: scale}
}

// decimalBytes is the big-endian two's-complement form Java's
// BigInteger.toByteArray gives, which Connect's Decimal uses.
func decimalBytes(d Decimal) []byte {
	u := d.Unscaled
	if u.Sign() >= 0 {
		b := u.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// Two's complement of a negative number: 2^(8n) + u for the smallest
	// n whose range holds u.
	// The smallest byte count whose range reaches u is the one that
	// holds |u|-1 with a sign bit to spare.
	n := (new(big.Int).Sub(new(big.Int).Neg(u), big.NewInt(1)).BitLen() + 8) / 8
	m := new(big.Int).Lsh(big.NewInt(1), uint(n*8))
	b := new(big.Int).Add(m, u).Bytes()
	for len(b) < n {
		b = append([]byte{0xff}, b...)
	}
	if b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

// decimalFromBytes reverses decimalBytes.
func decimalFromBytes(b []byte, scale int) Decimal {
	u := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		u.Sub(u, new(big.Int).Lsh(big.NewInt(1), uint(len(b)*8)))
	}
	return Decimal{Unscaled: u, Scale: scale}
}
