package format

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/value"
)

// protobufFormat is ksqlDB's PROTOBUF (Confluent wire format, registry
// schemas, message indexes after the id) and PROTOBUF_NOSR (bare messages
// of a schema generated from the columns). Both always wrap: a record is a
// message whose fields are the columns.
type protobufFormat struct {
	name     string
	reg      Registry
	sr       bool
	schemaID int
	fullName string
	nullable string
}

// Protobuf-only property names, as ksqlDB's FormatInfo carries them.
const (
	PropNullableRepresentation = "nullableRepresentation"
)

func newProtobuf(p map[string]string, reg Registry, sr bool) (Format, error) {
	f := &protobufFormat{name: ProtobufNoSR, reg: reg, sr: sr}
	if sr {
		f.name = Protobuf
		if err := needRegistry(Protobuf, reg); err != nil {
			return nil, err
		}
		id, err := schemaIDProp(p)
		if err != nil {
			return nil, err
		}
		f.schemaID = id
	}
	f.fullName = strings.TrimSpace(p[PropFullSchemaName])
	if _, err := boolProp(p, PropUnwrapPrimitives); err != nil {
		return nil, err
	}
	switch n := strings.ToLower(strings.TrimSpace(p[PropNullableRepresentation])); n {
	case "", "none":
	case nullableOptional, nullableWrapper:
		f.nullable = n
	default:
		return nil, newErr(ErrUnsupported, "Invalid nullable representation: %s (expected OPTIONAL or WRAPPER)", p[PropNullableRepresentation])
	}
	return f, nil
}

func (f *protobufFormat) Name() string { return f.name }

func (f *protobufFormat) Unwrapped(t Target) (bool, error) { return f.singles().unwrapped(t) }

func (f *protobufFormat) singles() singles {
	return singles{format: f.name, canWrap: true}
}

func (f *protobufFormat) Validate(t Target) error {
	if err := checkProtoCols(t.Columns); err != nil {
		return err
	}
	_, err := f.singles().unwrapped(t)
	return err
}

// messageFor resolves the message a serde uses, and the schema id and
// message indexes a serializer writes: by schemaId, else generated from
// the columns (and registered, for PROTOBUF).
func (f *protobufFormat) messageFor(ctx context.Context, t Target, register bool) (protoreflect.MessageDescriptor, int, []int, error) {
	if f.schemaID != 0 {
		s, err := f.reg.SchemaByID(ctx, f.schemaID)
		if err != nil {
			return nil, 0, nil, &Error{Kind: ErrSchema, Msg: fmt.Sprintf("fetch schema id %d", f.schemaID), Err: err}
		}
		fd, err := compileProto(s)
		if err != nil {
			return nil, 0, nil, err
		}
		md, idx, err := findMessage(fd, f.fullName)
		return md, f.schemaID, idx, err
	}
	text, err := ProtobufSchemaFor(t.Columns, f.fullName, f.nullable)
	if err != nil {
		return nil, 0, nil, err
	}
	fd, err := compileProto(Schema{Type: SchemaProtobuf, Text: text})
	if err != nil {
		return nil, 0, nil, err
	}
	md, idx, err := findMessage(fd, f.fullName)
	if err != nil {
		return nil, 0, nil, err
	}
	id := 0
	if register && f.sr {
		id, _, err = registerOrReuse(ctx, f.reg, Subject(t.Topic, t.IsKey), Schema{Type: SchemaProtobuf, Text: text},
			func(sc Schema, _ int) error {
				fd, err := compileProto(sc)
				if err != nil {
					return err
				}
				m, x, err := findMessage(fd, f.fullName)
				if err != nil {
					return err
				}
				if err := protoFits(m, t.Columns); err != nil {
					return err
				}
				md, idx = m, x
				return nil
			})
		if err != nil {
			return nil, 0, nil, err
		}
	}
	return md, id, idx, nil
}

// protoFits checks that every column has a field of its name in md, the
// least a message must offer to carry the columns.
func protoFits(md protoreflect.MessageDescriptor, cols []Column) error {
	var missing []string
	for _, c := range cols {
		found := false
		for i := 0; i < md.Fields().Len() && !found; i++ {
			found = strings.EqualFold(string(md.Fields().Get(i).Name()), c.Name)
		}
		if !found {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("message %s has no field for %s", md.FullName(), strings.Join(missing, ", "))
	}
	return nil
}

func (f *protobufFormat) Serializer(ctx context.Context, t Target) (Serializer, error) {
	if err := f.Validate(t); err != nil {
		return nil, err
	}
	md, id, idx, err := f.messageFor(ctx, t, true)
	if err != nil {
		return nil, err
	}
	s := &protobufSerializer{t: t, md: md}
	names, typs := colNamesTypes(t.Columns)
	s.plan = newProtoPlan(md, names, typs)
	s.fast = s.plan.fastFields()
	if f.sr {
		s.header = registry.AppendMessageIndexes(appendHeader(nil, id), idx)
	}
	return s, nil
}

type protobufSerializer struct {
	t      Target
	codec  protoCodec
	md     protoreflect.MessageDescriptor
	plan   *protoPlan
	fast   []int // fields in number order for writeFast; nil for the slow path
	header []byte
}

func (s *protobufSerializer) Serialize(dst []byte, row []value.Value) (_ []byte, err error) {
	// dynamicpb panics on values of the wrong Go type; a bug of ours there
	// must fail the record, not the task.
	defer recoverTo(&err, func(e error) error { return serErr(&s.t, e) })
	if row == nil {
		return nil, nil
	}
	if len(row) != len(s.t.Columns) {
		return nil, serErr(&s.t, fmt.Errorf("row has %d values for %d columns", len(row), len(s.t.Columns)))
	}
	if dst == nil {
		dst = make([]byte, 0, 64)
	}
	if s.fast != nil {
		out, err := s.plan.writeFast(&s.codec, append(dst, s.header...), s.fast, row)
		if err != nil {
			return nil, serErr(&s.t, err)
		}
		return out, nil
	}
	m := dynamicpb.NewMessage(s.md)
	if err := s.plan.write(&s.codec, m, row); err != nil {
		return nil, serErr(&s.t, err)
	}
	dst = append(dst, s.header...)
	out, merr := proto.MarshalOptions{Deterministic: true, AllowPartial: true}.MarshalAppend(dst, m)
	if merr != nil {
		return nil, serErr(&s.t, merr)
	}
	return out, nil
}

func (f *protobufFormat) Deserializer(ctx context.Context, t Target) (Deserializer, error) {
	if err := f.Validate(t); err != nil {
		return nil, err
	}
	d := &protobufDeserializer{t: t, f: f, plans: map[protoKey]*protoReadPlan{}}
	if !f.sr {
		md, _, _, err := f.messageFor(ctx, t, false)
		if err != nil {
			return nil, err
		}
		names, typs := colNamesTypes(t.Columns)
		d.fixed = newProtoReadPlan(newProtoPlan(md, names, typs))
	}
	return d, nil
}

type protoKey struct {
	id   int
	path string // message indexes, "" for the common [0]
}

type protoReadPlan struct {
	plan      *protoPlan
	byNum     map[protowire.Number]int // for readFast; nil for the slow path
	err       error
	transient bool // the registry failed; try again next record
}

func newProtoReadPlan(p *protoPlan) *protoReadPlan {
	rp := &protoReadPlan{plan: p}
	if order := p.fastFields(); order != nil {
		rp.byNum = make(map[protowire.Number]int, len(order))
		for _, i := range order {
			rp.byNum[p.fields[i].Number()] = i
		}
	}
	return rp
}

type protobufDeserializer struct {
	t     Target
	codec protoCodec
	f     *protobufFormat
	fixed *protoReadPlan

	lastID   int
	lastPlan *protoReadPlan // for id lastID and message path [0]
	plans    map[protoKey]*protoReadPlan
}

// plan compiles the reader for a writer schema id and message path on
// first use; see avroDeserializer.plan for why it has no context.
func (d *protobufDeserializer) plan(id int, idx []int) *protoReadPlan {
	key := protoKey{id: id}
	first := len(idx) == 1 && idx[0] == 0
	if first {
		if d.lastPlan != nil && d.lastID == id {
			return d.lastPlan
		}
	} else {
		key.path = fmt.Sprint(idx)
	}
	p, ok := d.plans[key]
	if !ok {
		p = d.compile(id, idx)
		if p.transient {
			return p
		}
		d.plans[key] = p
	}
	if first {
		d.lastID, d.lastPlan = id, p
	}
	return p
}

func (d *protobufDeserializer) compile(id int, idx []int) *protoReadPlan {
	s, err := d.f.reg.SchemaByID(context.Background(), id)
	if err != nil {
		return &protoReadPlan{err: fmt.Errorf("fetch schema id %d: %w", id, err), transient: true}
	}
	p := &protoReadPlan{}
	fd, err := compileProto(s)
	if err == nil {
		var md protoreflect.MessageDescriptor
		if md, err = registry.MessageForIndexes(fd, idx); err == nil {
			names, typs := colNamesTypes(d.t.Columns)
			p = newProtoReadPlan(newProtoPlan(md, names, typs))
		}
	}
	p.err = err
	return p
}

var firstMessage = []int{0}

func (d *protobufDeserializer) Deserialize(data []byte, into []value.Value) (_ []value.Value, err error) {
	defer recoverTo(&err, func(e error) error { return deserErr(&d.t, e) })
	if data == nil || (d.f.sr && len(data) == 0) {
		// With the registry prefix an empty payload cannot be a message, so
		// it reads as null; without it, it is a message of defaults.
		return nil, nil
	}
	p := d.fixed
	if d.f.sr {
		id, rest, err := splitHeader(data)
		if err != nil {
			return nil, deserErr(&d.t, err)
		}
		idx := firstMessage
		if len(rest) > 0 && rest[0] == 0 {
			rest = rest[1:] // the common path [0], written as one byte
		} else if idx, rest, err = registry.DecodeMessageIndexes(rest); err != nil {
			return nil, deserErr(&d.t, err)
		}
		p, data = d.plan(id, idx), rest
	}
	if p.err != nil {
		return nil, deserErr(&d.t, p.err)
	}
	out := grow(into, len(d.t.Columns))
	if p.byNum != nil {
		err := p.plan.readFast(&d.codec, data, p.byNum, out)
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, errProtoMerge) {
			return nil, deserErr(&d.t, err)
		}
	}
	m := dynamicpb.NewMessage(p.plan.md)
	// proto3 has no required fields, so the initialization check that
	// plain Unmarshal runs is pure cost.
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(data, m); err != nil {
		return nil, deserErr(&d.t, err)
	}
	if err := p.plan.read(&d.codec, m, out, 0); err != nil {
		return nil, deserErr(&d.t, err)
	}
	return out, nil
}

// recoverTo turns a panic into an error through wrap.
func recoverTo(err *error, wrap func(error) error) {
	if r := recover(); r != nil {
		*err = wrap(fmt.Errorf("internal error: %v", r))
	}
}
