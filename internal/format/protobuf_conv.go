package format

import (
	"fmt"
	"math/big"
	"strconv"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// protoCodec converts between messages and values for one serde. It
// caches the plans of nested messages, which would otherwise be rebuilt
// for every struct of every record; like the serdes, it is not safe for
// concurrent use.
type protoCodec struct {
	plans map[protoPlanKey]*protoPlan
}

type protoPlanKey struct {
	md protoreflect.MessageDescriptor
	t  *types.Type
}

func (c *protoCodec) plan(md protoreflect.MessageDescriptor, t *types.Type) *protoPlan {
	k := protoPlanKey{md, t}
	if p, ok := c.plans[k]; ok {
		return p
	}
	if c.plans == nil {
		c.plans = map[protoPlanKey]*protoPlan{}
	}
	p := newProtoPlan(md, structNames(t), structTypes(t))
	c.plans[k] = p
	return p
}

// protoPlan maps a message's fields to target positions, exact names
// first and then case-insensitively, as for the other formats.
type protoPlan struct {
	md     protoreflect.MessageDescriptor
	fields []protoreflect.FieldDescriptor // per target; nil when absent
	typs   []*types.Type
}

func newProtoPlan(md protoreflect.MessageDescriptor, names []string, typs []*types.Type) *protoPlan {
	p := &protoPlan{md: md, fields: make([]protoreflect.FieldDescriptor, len(names)), typs: typs}
	f := newFields(names)
	var buf [64]byte
	taken := make([]bool, len(names))
	for pass := 0; pass < 2; pass++ {
		for i := 0; i < md.Fields().Len(); i++ {
			fd := md.Fields().Get(i)
			idx, exact := f.lookup([]byte(fd.Name()), &buf)
			if idx < 0 || taken[idx] || (pass == 0 && !exact) {
				continue
			}
			taken[idx] = true
			p.fields[idx] = fd
		}
	}
	return p
}

// read converts a message's fields into out.
func (p *protoPlan) read(c *protoCodec, m protoreflect.Message, out []value.Value, depth int) error {
	for i, fd := range p.fields {
		if fd == nil {
			continue
		}
		v, err := c.protoFieldValue(m, fd, p.typs[i], depth)
		if err != nil {
			return fmt.Errorf("field %s: %w", fd.Name(), err)
		}
		out[i] = v
	}
	return nil
}

// protoFieldValue reads one field. Fields without presence read as their
// proto3 default, as ksqlDB's converter does; unset messages, optional
// fields and wrappers read as NULL.
func (c *protoCodec) protoFieldValue(m protoreflect.Message, fd protoreflect.FieldDescriptor, t *types.Type, depth int) (value.Value, error) {
	if depth > 64 {
		return value.Null, fmt.Errorf("message nests too deeply")
	}
	if fd.HasPresence() && !m.Has(fd) {
		return value.Null, nil
	}
	if fd.Kind() == protoreflect.BytesKind && fd.Cardinality() != protoreflect.Repeated && !m.Has(fd) {
		// ksqlDB reads an unset (empty) proto3 bytes field as NULL, unlike
		// strings and numbers, which read as their defaults.
		return value.Null, nil
	}
	v := m.Get(fd)
	switch {
	case fd.IsMap():
		if t.Kind != types.Map {
			return value.Null, fmt.Errorf("Can't convert type. sourceType: map, requiredType: %s", TypeString(t))
		}
		mp := v.Map()
		out := make([]value.Entry, 0, mp.Len())
		var err error
		mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
			var kv, vv value.Value
			if kv, err = c.protoScalar(k.Value(), fd.MapKey(), t.Key, depth); err != nil {
				return false
			}
			if vv, err = c.protoScalar(mv, fd.MapValue(), t.Elem, depth); err != nil {
				return false
			}
			out = append(out, value.Entry{Key: kv, Val: vv})
			return true
		})
		if err != nil {
			return value.Null, err
		}
		sortEntries(out)
		return value.Map(out), nil
	case fd.IsList():
		l := v.List()
		if t.Kind == types.Map && fd.Message() != nil && isEntryMessage(fd.Message()) {
			// A map written as repeated key/value messages, as
			// Confluent's ProtobufData generates them.
			md := fd.Message()
			kf, vf := md.Fields().ByName("key"), md.Fields().ByName("value")
			out := make([]value.Entry, 0, l.Len())
			for i := 0; i < l.Len(); i++ {
				em := l.Get(i).Message()
				kv, err := c.protoFieldValue(em, kf, t.Key, depth+1)
				if err != nil {
					return value.Null, err
				}
				vv, err := c.protoFieldValue(em, vf, t.Elem, depth+1)
				if err != nil {
					return value.Null, err
				}
				out = append(out, value.Entry{Key: kv, Val: vv})
			}
			return value.Map(out), nil
		}
		if t.Kind != types.Array {
			return value.Null, fmt.Errorf("Can't convert type. sourceType: repeated, requiredType: %s", TypeString(t))
		}
		out := make([]value.Value, l.Len())
		for i := range out {
			e, err := c.protoScalar(l.Get(i), fd, t.Elem, depth)
			if err != nil {
				return value.Null, err
			}
			out[i] = e
		}
		return value.Array(out), nil
	}
	return c.protoScalar(v, fd, t, depth)
}

func isEntryMessage(md protoreflect.MessageDescriptor) bool {
	return md.Fields().Len() == 2 && md.Fields().ByName("key") != nil && md.Fields().ByName("value") != nil
}

// sortEntries orders a proto map's entries by key text, since Go's map
// iteration order is random and equal rows must decode equally.
func sortEntries(es []value.Entry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && value.Compare(es[j-1].Key, es[j].Key) > 0; j-- {
			es[j-1], es[j] = es[j], es[j-1]
		}
	}
}

func (c *protoCodec) protoScalar(v protoreflect.Value, fd protoreflect.FieldDescriptor, t *types.Type, depth int) (value.Value, error) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		switch t.Kind {
		case types.Boolean:
			return value.Bool(v.Bool()), nil
		case types.String:
			return value.String(strconv.FormatBool(v.Bool())), nil
		}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		if c := intConverter(t, 1); c != nil {
			return c(v.Int())
		}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		if c := intConverter(t, 1); c != nil {
			return c(int64(v.Uint()))
		}
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		if c := floatConverter(t); c != nil {
			return c(v.Float())
		}
	case protoreflect.StringKind:
		if t.Kind == types.String {
			return value.String(v.String()), nil
		}
	case protoreflect.BytesKind:
		if t.Kind == types.Bytes {
			return value.Bytes(append([]byte(nil), v.Bytes()...)), nil
		}
	case protoreflect.EnumKind:
		if t.Kind == types.String {
			if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
				return value.String(string(ev.Name())), nil
			}
			return value.String(strconv.Itoa(int(v.Enum()))), nil
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return c.protoMessageValue(v.Message(), t, depth+1)
	}
	return value.Null, fmt.Errorf("Can't convert type. sourceType: %s, requiredType: %s", fd.Kind(), TypeString(t))
}

func (c *protoCodec) protoMessageValue(m protoreflect.Message, t *types.Type, depth int) (value.Value, error) {
	if depth > 64 {
		return value.Null, fmt.Errorf("message nests too deeply")
	}
	md := m.Descriptor()
	f := md.Fields()
	switch string(md.FullName()) {
	case protoTimestamp:
		if t.Kind == types.Timestamp || t.Kind == types.Bigint {
			ms := m.Get(f.ByName("seconds")).Int()*1000 + m.Get(f.ByName("nanos")).Int()/1e6
			if t.Kind == types.Bigint {
				return value.Bigint(ms), nil
			}
			return value.Timestamp(ms), nil
		}
	case protoDate:
		if t.Kind == types.Date {
			y, mo, d := m.Get(f.ByName("year")).Int(), m.Get(f.ByName("month")).Int(), m.Get(f.ByName("day")).Int()
			days := time.Date(int(y), time.Month(mo), int(d), 0, 0, 0, 0, time.UTC).Unix() / 86400
			return value.Date(days), nil
		}
	case protoTimeOfDay:
		if t.Kind == types.Time {
			ms := ((m.Get(f.ByName("hours")).Int()*60+m.Get(f.ByName("minutes")).Int())*60+m.Get(f.ByName("seconds")).Int())*1000 +
				m.Get(f.ByName("nanos")).Int()/1e6
			return value.Time(ms), nil
		}
	case protoDecimal:
		if t.Kind == types.Decimal || t.Kind == types.Double || t.Kind == types.String {
			n, u := fromTwos(m.Get(f.ByName("value")).Bytes())
			if u == nil {
				u = big.NewInt(n)
			}
			d := value.DecimalBig(u, int32(m.Get(f.ByName("scale")).Int()))
			switch t.Kind {
			case types.Double:
				return value.Double(d.AsFloat64()), nil
			case types.String:
				return value.String(d.DecimalString()), nil
			}
			return rescale(d, t)
		}
	}
	if w, ok := protoWrapperKind(md); ok && t.Kind != types.Struct {
		return c.protoScalar(m.Get(w), w, t, depth)
	}
	if t.Kind != types.Struct {
		return value.Null, fmt.Errorf("Can't convert type. sourceType: %s, requiredType: %s", md.FullName(), TypeString(t))
	}
	out := make([]value.Value, len(t.Fields))
	if err := c.plan(md, t).read(c, m, out, depth); err != nil {
		return value.Null, err
	}
	return value.Struct(out), nil
}
