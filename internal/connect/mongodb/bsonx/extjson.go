package bsonx

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/sluicedb/sluice/internal/format"
)

// AppendJSON appends doc as extended JSON in the form Debezium's MongoDB
// connector writes into `after`, `patch` and `filter`: the Java driver's
// strict mode, where int32 and double are plain numbers (doubles always
// with a fraction or exponent, as Java prints them), int64 is
// {"$numberLong": "n"}, dates are {"$date": millis}, ObjectIds {"$oid":
// hex} and binary {"$binary": base64, "$type": hex}. Every driver's
// extended JSON parser reads this form back into the same BSON types.
func AppendJSON(dst []byte, doc []byte) ([]byte, error) {
	return appendDoc(dst, doc, false, 0)
}

// AppendValueJSON appends one value (of BSON type t) as extended JSON;
// the MongoDB key's id is the _id value written this way.
func AppendValueJSON(dst []byte, t byte, v []byte) ([]byte, error) {
	return appendValue(dst, t, v, 0)
}

// maxDepth bounds nesting so a hostile document cannot exhaust the stack;
// MongoDB itself refuses documents nested deeper than 100 levels.
const maxDepth = 200

func appendDoc(dst, doc []byte, array bool, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, malformed("nested deeper than %d", maxDepth)
	}
	open, close := byte('{'), byte('}')
	if array {
		open, close = '[', ']'
	}
	dst = append(dst, open)
	it := NewIter(doc)
	first := true
	var err error
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		if !first {
			dst = append(dst, ", "...)
		}
		first = false
		if !array {
			dst = format.AppendJSONString(dst, e.Key)
			dst = append(dst, ": "...)
		}
		if dst, err = appendValue(dst, e.Type, e.Value, depth+1); err != nil {
			return dst, err
		}
	}
	if err := it.Err(); err != nil {
		return dst, err
	}
	return append(dst, close), nil
}

func appendValue(dst []byte, t byte, v []byte, depth int) ([]byte, error) {
	switch t {
	case TypeDouble:
		return AppendJavaDouble(dst, math.Float64frombits(binary.LittleEndian.Uint64(v))), nil
	case TypeString:
		return format.AppendJSONString(dst, bytesString(str(v))), nil
	case TypeDocument:
		return appendDoc(dst, v, false, depth)
	case TypeArray:
		return appendDoc(dst, v, true, depth)
	case TypeBinary:
		n := int(binary.LittleEndian.Uint32(v))
		sub := v[4]
		data := v[5 : 5+n]
		dst = append(dst, `{"$binary": "`...)
		dst = base64.StdEncoding.AppendEncode(dst, data)
		dst = append(dst, `", "$type": "`...)
		dst = hex.AppendEncode(dst, []byte{sub})
		return append(dst, `"}`...), nil
	case TypeUndefined:
		return append(dst, `{"$undefined": true}`...), nil
	case TypeObjectID:
		dst = append(dst, `{"$oid": "`...)
		dst = hex.AppendEncode(dst, v)
		return append(dst, `"}`...), nil
	case TypeBoolean:
		if v[0] != 0 {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case TypeDateTime:
		dst = append(dst, `{"$date": `...)
		dst = strconv.AppendInt(dst, int64(binary.LittleEndian.Uint64(v)), 10)
		return append(dst, '}'), nil
	case TypeNull:
		return append(dst, "null"...), nil
	case TypeRegex:
		p := cstringLen(v)
		dst = append(dst, `{"$regex": `...)
		dst = format.AppendJSONString(dst, bytesString(v[:p]))
		dst = append(dst, `, "$options": `...)
		dst = format.AppendJSONString(dst, bytesString(v[p+1:len(v)-1]))
		return append(dst, '}'), nil
	case TypeDBPointer:
		n := int(binary.LittleEndian.Uint32(v)) + 4
		dst = append(dst, `{"$ref": `...)
		dst = format.AppendJSONString(dst, bytesString(str(v[:n])))
		dst = append(dst, `, "$id": {"$oid": "`...)
		dst = hex.AppendEncode(dst, v[n:n+12])
		return append(dst, `"}}`...), nil
	case TypeJavaScript:
		dst = append(dst, `{"$code": `...)
		dst = format.AppendJSONString(dst, bytesString(str(v)))
		return append(dst, '}'), nil
	case TypeSymbol:
		dst = append(dst, `{"$symbol": `...)
		dst = format.AppendJSONString(dst, bytesString(str(v)))
		return append(dst, '}'), nil
	case TypeCodeScope:
		code := v[4:]
		n, err := stringLen(code)
		if err != nil {
			return dst, err
		}
		dst = append(dst, `{"$code": `...)
		dst = format.AppendJSONString(dst, bytesString(str(code[:n])))
		dst = append(dst, `, "$scope": `...)
		var err2 error
		if dst, err2 = appendDoc(dst, code[n:], false, depth); err2 != nil {
			return dst, err2
		}
		return append(dst, '}'), nil
	case TypeInt32:
		return strconv.AppendInt(dst, int64(int32(binary.LittleEndian.Uint32(v))), 10), nil
	case TypeTimestamp:
		dst = append(dst, `{"$timestamp": {"t": `...)
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(v[4:])), 10)
		dst = append(dst, `, "i": `...)
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(v)), 10)
		return append(dst, "}}"...), nil
	case TypeInt64:
		dst = append(dst, `{"$numberLong": "`...)
		dst = strconv.AppendInt(dst, int64(binary.LittleEndian.Uint64(v)), 10)
		return append(dst, `"}`...), nil
	case TypeDecimal128:
		d := Decimal128(v)
		dst = append(dst, `{"$numberDecimal": "`...)
		dst = append(dst, d.String()...)
		return append(dst, `"}`...), nil
	case TypeMinKey:
		return append(dst, `{"$minKey": 1}`...), nil
	case TypeMaxKey:
		return append(dst, `{"$maxKey": 1}`...), nil
	}
	return dst, malformed("unknown element type 0x%02x", t)
}

// Decimal128 reads a decimal128 value's 16 bytes.
func Decimal128(v []byte) bson.Decimal128 {
	return bson.NewDecimal128(binary.LittleEndian.Uint64(v[8:]), binary.LittleEndian.Uint64(v))
}

// AppendJavaDouble formats f as Java's Double.toString does (15.0, 50.5,
// 1.0E7, 1.0E-4), which is how Debezium's JSON shows doubles. NaN and the
// infinities, which JSON has no numbers for, use extended JSON's
// $numberDouble form.
func AppendJavaDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `{"$numberDouble": "NaN"}`...)
	case math.IsInf(f, 1):
		return append(dst, `{"$numberDouble": "Infinity"}`...)
	case math.IsInf(f, -1):
		return append(dst, `{"$numberDouble": "-Infinity"}`...)
	}
	a := math.Abs(f)
	if a == 0 || (a >= 1e-3 && a < 1e7) {
		start := len(dst)
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
		for _, c := range dst[start:] {
			if c == '.' {
				return dst
			}
		}
		return append(dst, ".0"...)
	}
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], f, 'E', -1, 64)
	e := 0
	for s[e] != 'E' {
		e++
	}
	mant, exp := s[:e], s[e+1:]
	dst = append(dst, mant...)
	hasDot := false
	for _, c := range mant {
		if c == '.' {
			hasDot = true
		}
	}
	if !hasDot {
		dst = append(dst, ".0"...)
	}
	dst = append(dst, 'E')
	if exp[0] == '-' {
		dst = append(dst, '-')
	}
	exp = exp[1:]
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	return append(dst, exp...)
}
