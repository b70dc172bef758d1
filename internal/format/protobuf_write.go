package format

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// write sets a message's fields from vals. NULL leaves a field unset,
// which proto3 reads back as its default unless the field has presence.
func (p *protoPlan) write(c *protoCodec, m protoreflect.Message, vals []value.Value) error {
	for i, fd := range p.fields {
		if fd == nil || i >= len(vals) || vals[i].IsNull() {
			continue
		}
		if err := c.protoSetField(m, fd, vals[i], p.typs[i]); err != nil {
			return fmt.Errorf("field %s: %w", fd.Name(), err)
		}
	}
	return nil
}

func (c *protoCodec) protoSetField(m protoreflect.Message, fd protoreflect.FieldDescriptor, v value.Value, t *types.Type) error {
	switch {
	case fd.IsMap():
		mp := m.Mutable(fd).Map()
		for _, e := range v.Entries() {
			k, err := c.protoFromValue(e.Key, fd.MapKey(), t.Key, mp.NewValue)
			if err != nil {
				return err
			}
			if e.Val.IsNull() {
				mp.Set(k.MapKey(), protoZero(fd.MapValue(), mp.NewValue))
				continue
			}
			val, err := c.protoFromValue(e.Val, fd.MapValue(), t.Elem, mp.NewValue)
			if err != nil {
				return err
			}
			mp.Set(k.MapKey(), val)
		}
		return nil
	case fd.IsList():
		l := m.Mutable(fd).List()
		if t.Kind == types.Map {
			md := fd.Message()
			if md == nil || !isEntryMessage(md) {
				return fmt.Errorf("MAP column for a repeated field that is not a map entry")
			}
			kf, vf := md.Fields().ByName("key"), md.Fields().ByName("value")
			for _, e := range v.Entries() {
				em := dynamicpb.NewMessage(md)
				if !e.Key.IsNull() {
					if err := c.protoSetField(em, kf, e.Key, t.Key); err != nil {
						return err
					}
				}
				if !e.Val.IsNull() {
					if err := c.protoSetField(em, vf, e.Val, t.Elem); err != nil {
						return err
					}
				}
				l.Append(protoreflect.ValueOfMessage(em))
			}
			return nil
		}
		if t.Kind != types.Array {
			return fmt.Errorf("type %s for a repeated field", TypeString(t))
		}
		for _, e := range v.Elems() {
			if e.IsNull() {
				l.Append(protoZero(fd, l.NewElement))
				continue
			}
			pv, err := c.protoFromValue(e, fd, t.Elem, l.NewElement)
			if err != nil {
				return err
			}
			l.Append(pv)
		}
		return nil
	}
	pv, err := c.protoFromValue(v, fd, t, func() protoreflect.Value { return m.NewField(fd) })
	if err != nil {
		return err
	}
	m.Set(fd, pv)
	return nil
}

// protoZero is the proto3 zero value of fd's kind, for NULL elements of
// repeated fields and maps, which cannot be absent.
func protoZero(fd protoreflect.FieldDescriptor, newMsg func() protoreflect.Value) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return newMsg()
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(false)
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(0)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(0)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(0)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(0)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(0)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(0)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString("")
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes(nil)
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(fd.Enum().Values().Get(0).Number())
	}
	return fd.Default()
}

// protoFromValue converts a non-NULL value of type t to fd's kind.
func (c *protoCodec) protoFromValue(v value.Value, fd protoreflect.FieldDescriptor, t *types.Type, newMsg func() protoreflect.Value) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if t.Kind == types.Boolean {
			return protoreflect.ValueOfBool(v.Bool()), nil
		}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		if isIntegral(t.Kind) {
			return protoreflect.ValueOfInt32(int32(v.AsInt64())), nil
		}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		if isIntegral(t.Kind) {
			return protoreflect.ValueOfInt64(v.AsInt64()), nil
		}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		if isIntegral(t.Kind) {
			return protoreflect.ValueOfUint32(uint32(v.AsInt64())), nil
		}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		if isIntegral(t.Kind) {
			return protoreflect.ValueOfUint64(uint64(v.AsInt64())), nil
		}
	case protoreflect.FloatKind:
		if isNum(t.Kind) {
			return protoreflect.ValueOfFloat32(float32(v.AsFloat64())), nil
		}
	case protoreflect.DoubleKind:
		if isNum(t.Kind) {
			return protoreflect.ValueOfFloat64(v.AsFloat64()), nil
		}
	case protoreflect.StringKind:
		if t.Kind == types.String {
			return protoreflect.ValueOfString(v.Str()), nil
		}
	case protoreflect.BytesKind:
		if t.Kind == types.Bytes {
			return protoreflect.ValueOfBytes(v.BytesVal()), nil
		}
	case protoreflect.EnumKind:
		if t.Kind == types.String {
			ev := fd.Enum().Values().ByName(protoreflect.Name(v.Str()))
			if ev == nil {
				return protoreflect.Value{}, fmt.Errorf("%q is not a value of enum %s", v.Str(), fd.Enum().FullName())
			}
			return protoreflect.ValueOfEnum(ev.Number()), nil
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		pm := newMsg()
		if err := c.protoFillMessage(pm.Message(), v, t); err != nil {
			return protoreflect.Value{}, err
		}
		return pm, nil
	}
	return protoreflect.Value{}, fmt.Errorf("Can't convert type. sourceType: %s, requiredType: %s", TypeString(t), fd.Kind())
}

func isIntegral(k types.Kind) bool {
	switch k {
	case types.Int, types.Bigint, types.Date, types.Time, types.Timestamp:
		return true
	}
	return false
}

func (c *protoCodec) protoFillMessage(m protoreflect.Message, v value.Value, t *types.Type) error {
	md := m.Descriptor()
	f := md.Fields()
	switch string(md.FullName()) {
	case protoTimestamp:
		if isIntegral(t.Kind) {
			ms := v.AsInt64()
			sec, rem := ms/1000, ms%1000
			if rem < 0 {
				sec, rem = sec-1, rem+1000
			}
			m.Set(f.ByName("seconds"), protoreflect.ValueOfInt64(sec))
			m.Set(f.ByName("nanos"), protoreflect.ValueOfInt32(int32(rem*1e6)))
			return nil
		}
	case protoDate:
		if t.Kind == types.Date {
			d := time.Unix(v.Days()*86400, 0).UTC()
			m.Set(f.ByName("year"), protoreflect.ValueOfInt32(int32(d.Year())))
			m.Set(f.ByName("month"), protoreflect.ValueOfInt32(int32(d.Month())))
			m.Set(f.ByName("day"), protoreflect.ValueOfInt32(int32(d.Day())))
			return nil
		}
	case protoTimeOfDay:
		if t.Kind == types.Time {
			ms := v.Millis()
			m.Set(f.ByName("hours"), protoreflect.ValueOfInt32(int32(ms/3600000)))
			m.Set(f.ByName("minutes"), protoreflect.ValueOfInt32(int32(ms/60000%60)))
			m.Set(f.ByName("seconds"), protoreflect.ValueOfInt32(int32(ms/1000%60)))
			m.Set(f.ByName("nanos"), protoreflect.ValueOfInt32(int32(ms%1000*1e6)))
			return nil
		}
	case protoDecimal:
		if t.Kind == types.Decimal {
			d, err := rescale(v, t)
			if err != nil {
				return err
			}
			b, _ := twosComplement(d.Unscaled(), 0)
			m.Set(f.ByName("value"), protoreflect.ValueOfBytes(b))
			m.Set(f.ByName("precision"), protoreflect.ValueOfUint32(uint32(t.Precision)))
			m.Set(f.ByName("scale"), protoreflect.ValueOfInt32(int32(t.Scale)))
			return nil
		}
	}
	if w, ok := protoWrapperKind(md); ok && t.Kind != types.Struct {
		pv, err := c.protoFromValue(v, w, t, nil)
		if err != nil {
			return err
		}
		m.Set(w, pv)
		return nil
	}
	if t.Kind != types.Struct {
		return fmt.Errorf("Can't convert type. sourceType: %s, requiredType: %s", TypeString(t), md.FullName())
	}
	return c.plan(md, t).write(c, m, v.Elems())
}
