package value

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/sluicedb/sluice/internal/types"
)

// Two binary encodings live here:
//
//   - AppendValue/DecodeValue: compact and self-describing (a kind byte
//     leads each value), for state store values and internal records where
//     size and speed matter and order does not.
//   - AppendKey/DecodeKey: order-preserving, so that byte order equals
//     Compare order for values of one type. State stores use it for keys,
//     which makes pull-query ranges and window scans plain range scans.

// ErrCorrupt reports bytes that do not decode.
var ErrCorrupt = errors.New("value: corrupt encoding")

// AppendValue appends the compact encoding of v to dst.
func AppendValue(dst []byte, v Value) []byte {
	dst = append(dst, byte(v.kind))
	switch v.kind {
	case types.Null:
	case types.Boolean:
		dst = append(dst, byte(v.n))
	case types.Int, types.Bigint, types.Date, types.Time, types.Timestamp:
		dst = binary.AppendVarint(dst, v.n)
	case types.Double:
		dst = binary.LittleEndian.AppendUint64(dst, uint64(v.n))
	case types.String:
		dst = binary.AppendUvarint(dst, uint64(len(v.s)))
		dst = append(dst, v.s...)
	case types.Bytes:
		b := v.BytesVal()
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		dst = append(dst, b...)
	case types.Decimal:
		dst = binary.AppendVarint(dst, int64(v.scale))
		if bi, ok := v.ref.(*big.Int); ok {
			dst = append(dst, 1)
			mag := bi.Bytes()
			sign := byte(0)
			if bi.Sign() < 0 {
				sign = 1
			}
			dst = append(dst, sign)
			dst = binary.AppendUvarint(dst, uint64(len(mag)))
			dst = append(dst, mag...)
		} else {
			dst = append(dst, 0)
			dst = binary.AppendVarint(dst, v.n)
		}
	case types.Array, types.Struct:
		e := v.Elems()
		dst = binary.AppendUvarint(dst, uint64(len(e)))
		for _, x := range e {
			dst = AppendValue(dst, x)
		}
	case types.Map:
		e := v.Entries()
		dst = binary.AppendUvarint(dst, uint64(len(e)))
		for _, x := range e {
			dst = AppendValue(dst, x.Key)
			dst = AppendValue(dst, x.Val)
		}
	}
	return dst
}

// AppendValues appends a count and then each value.
func AppendValues(dst []byte, vs []Value) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(vs)))
	for _, v := range vs {
		dst = AppendValue(dst, v)
	}
	return dst
}

// DecodeValues decodes what AppendValues wrote, appending to into.
func DecodeValues(b []byte, into []Value) ([]Value, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, nil, fmt.Errorf("%w: bad value count", ErrCorrupt)
	}
	b = b[k:]
	for i := uint64(0); i < n; i++ {
		var v Value
		var err error
		if v, b, err = DecodeValue(b); err != nil {
			return nil, nil, err
		}
		into = append(into, v)
	}
	return into, b, nil
}

// DecodeValue decodes one value and returns the remaining bytes.
func DecodeValue(b []byte) (Value, []byte, error) {
	if len(b) == 0 {
		return Null, nil, fmt.Errorf("%w: empty", ErrCorrupt)
	}
	kind := types.Kind(b[0])
	b = b[1:]
	switch kind {
	case types.Null:
		return Null, b, nil
	case types.Boolean:
		if len(b) < 1 {
			return Null, nil, fmt.Errorf("%w: short boolean", ErrCorrupt)
		}
		return Bool(b[0] != 0), b[1:], nil
	case types.Int, types.Bigint, types.Date, types.Time, types.Timestamp:
		n, k := binary.Varint(b)
		if k <= 0 {
			return Null, nil, fmt.Errorf("%w: bad varint", ErrCorrupt)
		}
		return Value{kind: kind, n: n}, b[k:], nil
	case types.Double:
		if len(b) < 8 {
			return Null, nil, fmt.Errorf("%w: short double", ErrCorrupt)
		}
		return Value{kind: kind, n: int64(binary.LittleEndian.Uint64(b))}, b[8:], nil
	case types.String, types.Bytes:
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return Null, nil, fmt.Errorf("%w: bad length", ErrCorrupt)
		}
		data := b[k : k+int(n)]
		if kind == types.String {
			return String(string(data)), b[k+int(n):], nil
		}
		return Bytes(append([]byte(nil), data...)), b[k+int(n):], nil
	case types.Decimal:
		sc, k := binary.Varint(b)
		if k <= 0 || len(b) < k+1 {
			return Null, nil, fmt.Errorf("%w: bad decimal", ErrCorrupt)
		}
		b = b[k:]
		if b[0] == 0 {
			n, k := binary.Varint(b[1:])
			if k <= 0 {
				return Null, nil, fmt.Errorf("%w: bad decimal", ErrCorrupt)
			}
			return DecimalInt64(n, int32(sc)), b[1+k:], nil
		}
		if len(b) < 2 {
			return Null, nil, fmt.Errorf("%w: bad decimal", ErrCorrupt)
		}
		neg := b[1] == 1
		n, k := binary.Uvarint(b[2:])
		if k <= 0 || n > uint64(len(b)-2-k) {
			return Null, nil, fmt.Errorf("%w: bad decimal", ErrCorrupt)
		}
		start := 2 + k
		bi := new(big.Int).SetBytes(b[start : start+int(n)])
		if neg {
			bi.Neg(bi)
		}
		return DecimalBig(bi, int32(sc)), b[start+int(n):], nil
	case types.Array, types.Struct:
		elems, rest, err := DecodeValues(b, nil)
		if err != nil {
			return Null, nil, err
		}
		if elems == nil {
			elems = []Value{}
		}
		return Value{kind: kind, ref: elems}, rest, nil
	case types.Map:
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)) {
			return Null, nil, fmt.Errorf("%w: bad map size", ErrCorrupt)
		}
		b = b[k:]
		entries := make([]Entry, 0, n)
		for i := uint64(0); i < n; i++ {
			var e Entry
			var err error
			if e.Key, b, err = DecodeValue(b); err != nil {
				return Null, nil, err
			}
			if e.Val, b, err = DecodeValue(b); err != nil {
				return Null, nil, err
			}
			entries = append(entries, e)
		}
		return Map(entries), b, nil
	}
	return Null, nil, fmt.Errorf("%w: unknown kind %d", ErrCorrupt, kind)
}

// Order-preserving key encoding. Every value starts with a marker byte:
// keyNull sorts first; keyValue is followed by a kind-specific encoding
// whose byte order matches Compare for values of that kind. Compound
// values list their elements, each behind keyElem, and end with keyEnd, so
// a prefix sorts before its extensions.
const (
	keyEnd   = 0x00
	keyNull  = 0x01
	keyValue = 0x02
	keyElem  = 0x03
)

// AppendKey appends the order-preserving encoding of v to dst.
func AppendKey(dst []byte, v Value) []byte {
	if v.kind == types.Null {
		return append(dst, keyNull)
	}
	dst = append(dst, keyValue)
	switch v.kind {
	case types.Boolean:
		dst = append(dst, byte(v.n))
	case types.Int, types.Bigint, types.Date, types.Time, types.Timestamp:
		dst = binary.BigEndian.AppendUint64(dst, uint64(v.n)^(1<<63))
	case types.Double:
		bits := math.Float64bits(v.Double())
		if bits&(1<<63) != 0 {
			bits = ^bits
		} else {
			bits |= 1 << 63
		}
		dst = binary.BigEndian.AppendUint64(dst, bits)
	case types.String:
		dst = appendEscaped(dst, v.s)
	case types.Bytes:
		dst = appendEscaped(dst, string(v.BytesVal()))
	case types.Decimal:
		// Keys of one column share a scale, so ordering the unscaled value
		// orders the decimals: sign, then magnitude length, then magnitude,
		// with negatives inverted.
		u := v.Unscaled()
		mag := new(big.Int).Abs(u).Bytes()
		switch u.Sign() {
		case -1:
			dst = append(dst, 0)
			dst = binary.BigEndian.AppendUint32(dst, ^uint32(len(mag)))
			for _, c := range mag {
				dst = append(dst, ^c)
			}
		case 0:
			dst = append(dst, 1)
		default:
			dst = append(dst, 2)
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(mag)))
			dst = append(dst, mag...)
		}
	case types.Array, types.Struct:
		for _, e := range v.Elems() {
			dst = append(dst, keyElem)
			dst = AppendKey(dst, e)
		}
		dst = append(dst, keyEnd)
	case types.Map:
		for _, e := range v.Entries() {
			dst = append(dst, keyElem)
			dst = AppendKey(dst, e.Key)
			dst = AppendKey(dst, e.Val)
		}
		dst = append(dst, keyEnd)
	}
	return dst
}

// appendEscaped writes s with 0x00 escaped as 0x00 0xFF and terminates it
// with 0x00 0x01, which keeps byte order equal to string order.
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			dst = append(dst, 0, 0xff)
		} else {
			dst = append(dst, s[i])
		}
	}
	return append(dst, 0, 1)
}

// DecodeKey decodes one AppendKey value of type t and returns the rest.
func DecodeKey(b []byte, t *types.Type) (Value, []byte, error) {
	if len(b) == 0 {
		return Null, nil, fmt.Errorf("%w: empty key", ErrCorrupt)
	}
	switch b[0] {
	case keyNull:
		return Null, b[1:], nil
	case keyValue:
	default:
		return Null, nil, fmt.Errorf("%w: bad key marker %#x", ErrCorrupt, b[0])
	}
	b = b[1:]
	switch t.Kind {
	case types.Boolean:
		if len(b) < 1 {
			return Null, nil, fmt.Errorf("%w: short key", ErrCorrupt)
		}
		return Bool(b[0] != 0), b[1:], nil
	case types.Int, types.Bigint, types.Date, types.Time, types.Timestamp:
		if len(b) < 8 {
			return Null, nil, fmt.Errorf("%w: short key", ErrCorrupt)
		}
		return Value{kind: t.Kind, n: int64(binary.BigEndian.Uint64(b) ^ (1 << 63))}, b[8:], nil
	case types.Double:
		if len(b) < 8 {
			return Null, nil, fmt.Errorf("%w: short key", ErrCorrupt)
		}
		bits := binary.BigEndian.Uint64(b)
		if bits&(1<<63) != 0 {
			bits &^= 1 << 63
		} else {
			bits = ^bits
		}
		return Double(math.Float64frombits(bits)), b[8:], nil
	case types.String, types.Bytes:
		s, rest, err := decodeEscaped(b)
		if err != nil {
			return Null, nil, err
		}
		if t.Kind == types.String {
			return String(string(s)), rest, nil
		}
		return Bytes(s), rest, nil
	case types.Decimal:
		if len(b) < 1 {
			return Null, nil, fmt.Errorf("%w: short key", ErrCorrupt)
		}
		sign := b[0]
		b = b[1:]
		if sign == 1 {
			return DecimalInt64(0, int32(t.Scale)), b, nil
		}
		if len(b) < 4 {
			return Null, nil, fmt.Errorf("%w: short key", ErrCorrupt)
		}
		n := binary.BigEndian.Uint32(b)
		if sign == 0 {
			n = ^n
		}
		b = b[4:]
		if uint64(n) > uint64(len(b)) {
			return Null, nil, fmt.Errorf("%w: short key", ErrCorrupt)
		}
		mag := append([]byte(nil), b[:n]...)
		if sign == 0 {
			for i := range mag {
				mag[i] = ^mag[i]
			}
		}
		bi := new(big.Int).SetBytes(mag)
		if sign == 0 {
			bi.Neg(bi)
		}
		return DecimalBig(bi, int32(t.Scale)), b[n:], nil
	case types.Array, types.Struct, types.Map:
		var elems []Value
		var entries []Entry
		for i := 0; ; i++ {
			if len(b) == 0 {
				return Null, nil, fmt.Errorf("%w: unterminated key", ErrCorrupt)
			}
			if b[0] == keyEnd {
				b = b[1:]
				break
			}
			if b[0] != keyElem {
				return Null, nil, fmt.Errorf("%w: bad element marker", ErrCorrupt)
			}
			b = b[1:]
			var err error
			var v Value
			switch t.Kind {
			case types.Array:
				v, b, err = DecodeKey(b, t.Elem)
				elems = append(elems, v)
			case types.Struct:
				if i >= len(t.Fields) {
					return Null, nil, fmt.Errorf("%w: too many struct fields", ErrCorrupt)
				}
				v, b, err = DecodeKey(b, t.Fields[i].Type)
				elems = append(elems, v)
			case types.Map:
				var e Entry
				if e.Key, b, err = DecodeKey(b, t.Key); err == nil {
					e.Val, b, err = DecodeKey(b, t.Elem)
				}
				entries = append(entries, e)
			}
			if err != nil {
				return Null, nil, err
			}
		}
		if t.Kind == types.Map {
			return Map(entries), b, nil
		}
		if elems == nil {
			elems = []Value{}
		}
		return Value{kind: t.Kind, ref: elems}, b, nil
	}
	return Null, nil, fmt.Errorf("%w: cannot decode key of type %s", ErrCorrupt, t)
}

func decodeEscaped(b []byte) ([]byte, []byte, error) {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] != 0 {
			out = append(out, b[i])
			continue
		}
		if i+1 >= len(b) {
			break
		}
		switch b[i+1] {
		case 0xff:
			out = append(out, 0)
			i++
		case 1:
			if out == nil {
				out = []byte{}
			}
			return out, b[i+2:], nil
		default:
			return nil, nil, fmt.Errorf("%w: bad escape", ErrCorrupt)
		}
	}
	return nil, nil, fmt.Errorf("%w: unterminated string", ErrCorrupt)
}
