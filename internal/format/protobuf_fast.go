package format

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// The fast paths below encode and decode a record's top-level message with
// protowire directly, rather than through a dynamicpb message, which costs
// a map entry and an interface conversion per field and allocates the
// message each record. They keep the slow path's semantics by converting
// each field with the same protoFromValue and protoScalar; only nested
// messages (DECIMAL, TIMESTAMP, structs, wrappers) still go through
// dynamicpb. A message with repeated or map fields takes the slow path.

// fastFields lists a plan's mapped fields by field number, or nil when
// some field is repeated or a map.
func (p *protoPlan) fastFields() []int {
	var idx []int
	for i, fd := range p.fields {
		if fd == nil {
			continue
		}
		if fd.IsList() || fd.IsMap() || fd.Kind() == protoreflect.GroupKind {
			return nil
		}
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return p.fields[idx[a]].Number() < p.fields[idx[b]].Number() })
	if idx == nil {
		idx = []int{}
	}
	return idx
}

// writeFast appends the message of vals to b.
func (p *protoPlan) writeFast(c *protoCodec, b []byte, order []int, vals []value.Value) ([]byte, error) {
	for _, i := range order {
		if i >= len(vals) || vals[i].IsNull() {
			continue
		}
		fd := p.fields[i]
		if wrote, out, err := appendWellKnown(b, fd, vals[i], p.typs[i]); wrote || err != nil {
			if err != nil {
				return b, fmt.Errorf("field %s: %w", fd.Name(), err)
			}
			b = out
			continue
		}
		pv, err := c.protoFromValue(vals[i], fd, p.typs[i], func() protoreflect.Value {
			return protoreflect.ValueOfMessage(dynamicpb.NewMessage(fd.Message()))
		})
		if err != nil {
			return b, fmt.Errorf("field %s: %w", fd.Name(), err)
		}
		if b, err = appendProtoField(b, fd, pv); err != nil {
			return b, fmt.Errorf("field %s: %w", fd.Name(), err)
		}
	}
	return b, nil
}

// appendProtoField appends one singular field as proto.Marshal would:
// proto3 fields without presence are left out at their zero value.
func appendProtoField(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) ([]byte, error) {
	num := fd.Number()
	implicit := !fd.HasPresence()
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if implicit && !v.Bool() {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.VarintType)
		return protowire.AppendVarint(b, protowire.EncodeBool(v.Bool())), nil
	case protoreflect.EnumKind:
		if implicit && v.Enum() == 0 {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(v.Enum())), nil
	case protoreflect.Int32Kind, protoreflect.Int64Kind:
		if implicit && v.Int() == 0 {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(v.Int())), nil
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		if implicit && v.Int() == 0 {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.VarintType)
		return protowire.AppendVarint(b, protowire.EncodeZigZag(v.Int())), nil
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind:
		if implicit && v.Uint() == 0 {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.VarintType)
		return protowire.AppendVarint(b, v.Uint()), nil
	case protoreflect.Sfixed32Kind:
		if implicit && v.Int() == 0 {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.Fixed32Type)
		return protowire.AppendFixed32(b, uint32(v.Int())), nil
	case protoreflect.Fixed32Kind:
		if implicit && v.Uint() == 0 {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.Fixed32Type)
		return protowire.AppendFixed32(b, uint32(v.Uint())), nil
	case protoreflect.FloatKind:
		f := float32(v.Float())
		if implicit && f == 0 && !math.Signbit(float64(f)) {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.Fixed32Type)
		return protowire.AppendFixed32(b, math.Float32bits(f)), nil
	case protoreflect.Sfixed64Kind:
		if implicit && v.Int() == 0 {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, uint64(v.Int())), nil
	case protoreflect.Fixed64Kind:
		if implicit && v.Uint() == 0 {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, v.Uint()), nil
	case protoreflect.DoubleKind:
		f := v.Float()
		if implicit && f == 0 && !math.Signbit(f) {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(f)), nil
	case protoreflect.StringKind:
		s := v.String()
		if implicit && s == "" {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendString(b, s), nil
	case protoreflect.BytesKind:
		bs := v.Bytes()
		if implicit && len(bs) == 0 {
			return b, nil
		}
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, bs), nil
	case protoreflect.MessageKind:
		b = protowire.AppendTag(b, num, protowire.BytesType)
		// Reserve one length byte, the common case, and grow if needed.
		at := len(b)
		b = append(b, 0)
		var err error
		if b, err = (proto.MarshalOptions{Deterministic: true, AllowPartial: true}).MarshalAppend(b, v.Message().Interface()); err != nil {
			return b, err
		}
		n := len(b) - at - 1
		if n < 0x80 {
			b[at] = byte(n)
			return b, nil
		}
		size := protowire.SizeVarint(uint64(n))
		b = append(b, make([]byte, size-1)...)
		copy(b[at+size:], b[at+1:at+1+n])
		protowire.AppendVarint(b[:at], uint64(n))
		return b, nil
	}
	return b, fmt.Errorf("field kind %s", fd.Kind())
}

var errProtoUTF8 = errors.New("string field contains invalid UTF-8")

// errProtoFieldNumber is proto.Unmarshal's refusal of a field number
// past 2^29-1.
var errProtoFieldNumber = errors.New("invalid field number")

// errProtoMerge: a message field occurs twice, and proto merges the two;
// the caller decodes the record on the slow path instead.
var errProtoMerge = errors.New("message field repeated on the wire")

// readFast decodes a message's bytes into out, as read does from the
// unmarshalled message; byNum maps field numbers to target positions.
func (p *protoPlan) readFast(c *protoCodec, data []byte, byNum map[protowire.Number]int, out []value.Value) error {
	var seen uint64 // bit i: target i was read, for the first 64 targets
	var seenMore map[int]bool
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return protowire.ParseError(n)
		}
		if num > protowire.MaxValidNumber {
			return errProtoFieldNumber
		}
		data = data[n:]
		i, ok := byNum[num]
		var fd protoreflect.FieldDescriptor
		if ok {
			fd = p.fields[i]
		}
		if !ok || typ != protoWireType(fd.Kind()) {
			// Unknown fields, and known ones of another wire type, are
			// skipped, as proto.Unmarshal keeps them as unknown.
			m := protowire.ConsumeFieldValue(num, typ, data)
			if m < 0 {
				return protowire.ParseError(m)
			}
			data = data[m:]
			continue
		}
		if fd.Kind() == protoreflect.MessageKind && ((i < 64 && seen&(1<<i) != 0) || seenMore[i]) {
			return errProtoMerge
		}
		if v, m, ok, err := consumeWellKnown(fd, p.typs[i], data); ok || err != nil {
			if err != nil {
				return fmt.Errorf("field %s: %w", fd.Name(), err)
			}
			data = data[m:]
			out[i] = v
			if i < 64 {
				seen |= 1 << i
			} else {
				if seenMore == nil {
					seenMore = map[int]bool{}
				}
				seenMore[i] = true
			}
			continue
		}
		pv, m, err := consumeProtoValue(fd, typ, data)
		if err != nil {
			return err
		}
		data = data[m:]
		if fd.Kind() == protoreflect.BytesKind && !fd.HasPresence() && len(pv.Bytes()) == 0 {
			// As read: an empty proto3 bytes field is unset, hence NULL.
			out[i] = value.Null
		} else if out[i], err = c.protoScalar(pv, fd, p.typs[i], 0); err != nil {
			return fmt.Errorf("field %s: %w", fd.Name(), err)
		}
		if i < 64 {
			seen |= 1 << i
		} else {
			if seenMore == nil {
				seenMore = map[int]bool{}
			}
			seenMore[i] = true
		}
	}
	for i, fd := range p.fields {
		if fd == nil || (i < 64 && seen&(1<<i) != 0) || seenMore[i] {
			continue
		}
		if fd.HasPresence() || fd.Kind() == protoreflect.BytesKind {
			out[i] = value.Null
			continue
		}
		v, err := c.protoScalar(fd.Default(), fd, p.typs[i], 0)
		if err != nil {
			return fmt.Errorf("field %s: %w", fd.Name(), err)
		}
		out[i] = v
	}
	return nil
}

func protoWireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.Sfixed32Kind, protoreflect.Fixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Sfixed64Kind, protoreflect.Fixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	}
	return protowire.VarintType
}

// consumeProtoValue reads one singular value of fd's kind.
func consumeProtoValue(fd protoreflect.FieldDescriptor, typ protowire.Type, data []byte) (protoreflect.Value, int, error) {
	switch typ {
	case protowire.VarintType:
		x, n := protowire.ConsumeVarint(data)
		if n < 0 {
			return protoreflect.Value{}, 0, protowire.ParseError(n)
		}
		switch fd.Kind() {
		case protoreflect.BoolKind:
			return protoreflect.ValueOfBool(protowire.DecodeBool(x)), n, nil
		case protoreflect.EnumKind:
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(int32(x))), n, nil
		case protoreflect.Int32Kind:
			return protoreflect.ValueOfInt32(int32(x)), n, nil
		case protoreflect.Int64Kind:
			return protoreflect.ValueOfInt64(int64(x)), n, nil
		case protoreflect.Sint32Kind:
			return protoreflect.ValueOfInt32(int32(protowire.DecodeZigZag(x & math.MaxUint32))), n, nil
		case protoreflect.Sint64Kind:
			return protoreflect.ValueOfInt64(protowire.DecodeZigZag(x)), n, nil
		case protoreflect.Uint32Kind:
			return protoreflect.ValueOfUint32(uint32(x)), n, nil
		case protoreflect.Uint64Kind:
			return protoreflect.ValueOfUint64(x), n, nil
		}
	case protowire.Fixed32Type:
		x, n := protowire.ConsumeFixed32(data)
		if n < 0 {
			return protoreflect.Value{}, 0, protowire.ParseError(n)
		}
		switch fd.Kind() {
		case protoreflect.Sfixed32Kind:
			return protoreflect.ValueOfInt32(int32(x)), n, nil
		case protoreflect.Fixed32Kind:
			return protoreflect.ValueOfUint32(x), n, nil
		case protoreflect.FloatKind:
			return protoreflect.ValueOfFloat32(math.Float32frombits(x)), n, nil
		}
	case protowire.Fixed64Type:
		x, n := protowire.ConsumeFixed64(data)
		if n < 0 {
			return protoreflect.Value{}, 0, protowire.ParseError(n)
		}
		switch fd.Kind() {
		case protoreflect.Sfixed64Kind:
			return protoreflect.ValueOfInt64(int64(x)), n, nil
		case protoreflect.Fixed64Kind:
			return protoreflect.ValueOfUint64(x), n, nil
		case protoreflect.DoubleKind:
			return protoreflect.ValueOfFloat64(math.Float64frombits(x)), n, nil
		}
	case protowire.BytesType:
		bs, n := protowire.ConsumeBytes(data)
		if n < 0 {
			return protoreflect.Value{}, 0, protowire.ParseError(n)
		}
		switch fd.Kind() {
		case protoreflect.StringKind:
			if fd.Syntax() == protoreflect.Proto3 && !utf8.Valid(bs) {
				return protoreflect.Value{}, 0, errProtoUTF8
			}
			return protoreflect.ValueOfString(string(bs)), n, nil
		case protoreflect.BytesKind:
			return protoreflect.ValueOfBytes(append([]byte(nil), bs...)), n, nil
		case protoreflect.MessageKind:
			m := dynamicpb.NewMessage(fd.Message())
			if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(bs, m); err != nil {
				return protoreflect.Value{}, 0, err
			}
			return protoreflect.ValueOfMessage(m), n, nil
		}
	}
	return protoreflect.Value{}, 0, fmt.Errorf("field %s: wire type %d for kind %s", fd.Name(), typ, fd.Kind())
}

// appendWellKnown writes the two nested messages records carry most, a
// TIMESTAMP as google.protobuf.Timestamp and a DECIMAL as
// confluent.type.Decimal, straight to the wire, as protoFillMessage would
// fill them. It reports false for any other field.
func appendWellKnown(b []byte, fd protoreflect.FieldDescriptor, v value.Value, t *types.Type) (bool, []byte, error) {
	if fd.Kind() != protoreflect.MessageKind {
		return false, b, nil
	}
	md := fd.Message()
	f := md.Fields()
	var sub [48]byte
	body := sub[:0]
	switch string(md.FullName()) {
	case protoTimestamp:
		if !isIntegral(t.Kind) {
			return false, b, nil
		}
		ms := v.AsInt64()
		sec, rem := ms/1000, ms%1000
		if rem < 0 {
			sec, rem = sec-1, rem+1000
		}
		var err error
		if body, err = appendProtoField(body, f.ByName("seconds"), protoreflect.ValueOfInt64(sec)); err != nil {
			return true, b, err
		}
		if body, err = appendProtoField(body, f.ByName("nanos"), protoreflect.ValueOfInt32(int32(rem*1e6))); err != nil {
			return true, b, err
		}
	case protoDecimal:
		if t.Kind != types.Decimal {
			return false, b, nil
		}
		d, err := rescale(v, t)
		if err != nil {
			return true, b, err
		}
		digits, _ := twosComplement(d.Unscaled(), 0)
		if body, err = appendProtoField(body, f.ByName("value"), protoreflect.ValueOfBytes(digits)); err != nil {
			return true, b, err
		}
		if body, err = appendProtoField(body, f.ByName("precision"), protoreflect.ValueOfUint32(uint32(t.Precision))); err != nil {
			return true, b, err
		}
		if body, err = appendProtoField(body, f.ByName("scale"), protoreflect.ValueOfInt32(int32(t.Scale))); err != nil {
			return true, b, err
		}
	default:
		return false, b, nil
	}
	b = protowire.AppendTag(b, fd.Number(), protowire.BytesType)
	return true, protowire.AppendBytes(b, body), nil
}

// consumeWellKnown reads a google.protobuf.Timestamp into a TIMESTAMP or
// BIGINT, or a confluent.type.Decimal into a DECIMAL, as protoScalar
// would from the message; ok is false for any other field.
func consumeWellKnown(fd protoreflect.FieldDescriptor, t *types.Type, data []byte) (v value.Value, n int, ok bool, err error) {
	if fd.Kind() != protoreflect.MessageKind {
		return value.Null, 0, false, nil
	}
	md := fd.Message()
	name := string(md.FullName())
	switch {
	case name == protoTimestamp && (t.Kind == types.Timestamp || t.Kind == types.Bigint):
	case name == protoDecimal && t.Kind == types.Decimal:
	default:
		return value.Null, 0, false, nil
	}
	body, n := protowire.ConsumeBytes(data)
	if n < 0 {
		return value.Null, 0, true, protowire.ParseError(n)
	}
	var nums [3]protowire.Number
	if name == protoTimestamp {
		nums[0], nums[1] = md.Fields().ByName("seconds").Number(), md.Fields().ByName("nanos").Number()
	} else {
		nums[0], nums[1] = md.Fields().ByName("value").Number(), md.Fields().ByName("scale").Number()
	}
	var first int64
	var second int32
	var digits []byte
	for len(body) > 0 {
		num, typ, m := protowire.ConsumeTag(body)
		if m < 0 {
			return value.Null, 0, true, protowire.ParseError(m)
		}
		if num > protowire.MaxValidNumber {
			return value.Null, 0, true, errProtoFieldNumber
		}
		body = body[m:]
		switch {
		case num == nums[0] && name == protoTimestamp && typ == protowire.VarintType:
			x, m := protowire.ConsumeVarint(body)
			if m < 0 {
				return value.Null, 0, true, protowire.ParseError(m)
			}
			first, body = int64(x), body[m:]
		case num == nums[0] && name == protoDecimal && typ == protowire.BytesType:
			x, m := protowire.ConsumeBytes(body)
			if m < 0 {
				return value.Null, 0, true, protowire.ParseError(m)
			}
			digits, body = x, body[m:]
		case num == nums[1] && typ == protowire.VarintType:
			x, m := protowire.ConsumeVarint(body)
			if m < 0 {
				return value.Null, 0, true, protowire.ParseError(m)
			}
			second, body = int32(x), body[m:]
		default:
			m := protowire.ConsumeFieldValue(num, typ, body)
			if m < 0 {
				return value.Null, 0, true, protowire.ParseError(m)
			}
			body = body[m:]
		}
	}
	if name == protoTimestamp {
		ms := first*1000 + int64(second)/1e6
		if t.Kind == types.Bigint {
			return value.Bigint(ms), n, true, nil
		}
		return value.Timestamp(ms), n, true, nil
	}
	i, u := fromTwos(digits)
	if u == nil {
		u = big.NewInt(i)
	}
	d, err := rescale(value.DecimalBig(u, second), t)
	return d, n, true, err
}
