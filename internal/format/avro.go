package format

import (
	"context"
	"fmt"

	"github.com/hamba/avro/v2"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// avroFormat is ksqlDB's AVRO: Avro binary behind the Confluent wire-format
// prefix, with writer schemas generated from the columns (or fixed by
// schemaId) and registered under the topic's subject.
type avroFormat struct {
	reg      Registry
	fullName string
	schemaID int
}

var avroSingles = singles{format: Avro, canWrap: true, canUnwrap: true, keyUnwrapped: true}

func newAvro(p map[string]string, reg Registry) (Format, error) {
	if err := needRegistry(Avro, reg); err != nil {
		return nil, err
	}
	f := &avroFormat{reg: reg, fullName: DefaultAvroSchemaName}
	if n, ok := p[PropFullSchemaName]; ok {
		if _, err := AvroSchemaFor(nil, n, false); err != nil {
			return nil, err
		}
		f.fullName = n
	}
	id, err := schemaIDProp(p)
	if err != nil {
		return nil, err
	}
	f.schemaID = id
	return f, nil
}

func (f *avroFormat) Name() string { return Avro }

func (f *avroFormat) Unwrapped(t Target) (bool, error) { return avroSingles.unwrapped(t) }

func (f *avroFormat) Validate(t Target) error {
	if err := checkAvroCols(t.Columns); err != nil {
		return err
	}
	_, err := avroSingles.unwrapped(t)
	return err
}

func (f *avroFormat) Serializer(ctx context.Context, t Target) (Serializer, error) {
	if err := f.Validate(t); err != nil {
		return nil, err
	}
	un, _ := avroSingles.unwrapped(t)
	s := &avroSerializer{t: t, unwrapped: un}
	if f.schemaID != 0 {
		sch, err := f.reg.SchemaByID(ctx, f.schemaID)
		if err != nil {
			return nil, &Error{Kind: ErrSchema, Msg: fmt.Sprintf("fetch schema id %d", f.schemaID), Err: err}
		}
		if err := s.compile(sch, f.schemaID); err != nil {
			return nil, err
		}
		return s, nil
	}
	text, err := AvroSchemaFor(t.Columns, f.fullName, un)
	if err != nil {
		return nil, err
	}
	gen := Schema{Type: SchemaAvro, Text: text}
	if err := s.compile(gen, 0); err != nil {
		return nil, err
	}
	id, used, err := registerOrReuse(ctx, f.reg, Subject(t.Topic, t.IsKey), gen, func(sch Schema, id int) error {
		return s.compile(sch, id)
	})
	if err != nil {
		return nil, err
	}
	if used.Text == gen.Text {
		s.header = appendHeader(nil, id)
	}
	return s, nil
}

// compile builds the encoder for writer schema sch, registered as id.
func (s *avroSerializer) compile(sc Schema, id int) error {
	sch, err := parseAvro(sc)
	if err != nil {
		return err
	}
	var (
		single avroEnc
		record avroRecordEnc
	)
	if s.unwrapped {
		single, err = compileAvroEnc(sch, s.t.Columns[0].Type, 0)
	} else {
		rec, ok := derefAvro(sch).(*avro.RecordSchema)
		if !ok {
			return newErr(ErrSchema, "Avro schema id %d is a %s, not a record, for a wrapped %s", id, derefAvro(sch).Type(), s.t.what())
		}
		names, typs := avroNamesTypes(s.t.Columns)
		record, err = compileAvroRecordEnc(rec, names, typs, 0)
	}
	if err != nil {
		return &Error{Kind: ErrSchema, Msg: "Avro schema does not fit the columns", Err: err}
	}
	s.single, s.record, s.header = single, record, appendHeader(nil, id)
	return nil
}

type avroSerializer struct {
	t         Target
	header    []byte
	unwrapped bool
	single    avroEnc
	record    avroRecordEnc
}

func (s *avroSerializer) Serialize(dst []byte, row []value.Value) ([]byte, error) {
	if row == nil {
		return nil, nil
	}
	if len(row) != len(s.t.Columns) {
		return nil, serErr(&s.t, fmt.Errorf("row has %d values for %d columns", len(row), len(s.t.Columns)))
	}
	if s.unwrapped && row[0].IsNull() {
		return nil, nil
	}
	if dst == nil {
		dst = make([]byte, 0, 64)
	}
	dst = append(dst, s.header...)
	var err error
	if s.unwrapped {
		dst, err = s.single(dst, row[0])
	} else {
		dst, err = s.record(dst, row)
	}
	if err != nil {
		return nil, serErr(&s.t, err)
	}
	return dst, nil
}

func (f *avroFormat) Deserializer(_ context.Context, t Target) (Deserializer, error) {
	if err := f.Validate(t); err != nil {
		return nil, err
	}
	un, _ := avroSingles.unwrapped(t)
	return &avroDeserializer{t: t, reg: f.reg, unwrapped: un, plans: map[int]*avroPlan{}}, nil
}

// avroPlan is a decoder compiled for one writer schema id.
type avroPlan struct {
	single avroDec
	record avroRecordDec
	err    error // the writer schema does not fit the columns
}

type avroDeserializer struct {
	t         Target
	reg       Registry
	unwrapped bool
	r         avroReader // reused: closures would make a local escape

	lastID   int
	lastPlan *avroPlan
	plans    map[int]*avroPlan
}

// plan returns the compiled decoder for a writer schema id, fetching and
// compiling it on first use. The registry is asked without the caller's
// context, since Deserialize has none: lookups are by immutable id and
// cached, so a slow registry costs at most one stall per new schema.
func (d *avroDeserializer) plan(id int) *avroPlan {
	if d.lastPlan != nil && d.lastID == id {
		return d.lastPlan
	}
	if p, ok := d.plans[id]; ok {
		d.lastID, d.lastPlan = id, p
		return p
	}
	p := &avroPlan{}
	s, err := d.reg.SchemaByID(context.Background(), id)
	if err != nil {
		// Not cached: the registry may only be catching up.
		return &avroPlan{err: fmt.Errorf("fetch schema id %d: %w", id, err)}
	}
	sch, err := parseAvro(s)
	if err != nil {
		p.err = err
	} else if d.unwrapped {
		p.single, p.err = compileAvroDec(sch, d.t.Columns[0].Type, 0)
	} else {
		p.record, p.err = compileAvroTop(sch, d.t.Columns)
	}
	d.plans[id] = p
	d.lastID, d.lastPlan = id, p
	return p
}

// compileAvroTop decodes a wrapped row from a record writer schema, or a
// union of null and a record (a null record is a null row).
func compileAvroTop(sch avro.Schema, cols []Column) (avroRecordDec, error) {
	names, typs := avroNamesTypes(cols)
	sch = derefAvro(sch)
	if rec, ok := sch.(*avro.RecordSchema); ok {
		return compileAvroRecord(rec, names, typs, 0)
	}
	if u, ok := sch.(*avro.UnionSchema); ok {
		nn := nonNull(u)
		if rec, ok := derefAvro(firstOr(nn)).(*avro.RecordSchema); ok && len(nn) == 1 {
			inner, err := compileAvroRecord(rec, names, typs, 0)
			if err != nil {
				return nil, err
			}
			nullIdx, _ := avroNullIndex(u)
			return func(r *avroReader, out []value.Value) error {
				n, err := r.long()
				if err != nil {
					return err
				}
				if int(n) == nullIdx {
					return errNullRecord
				}
				return inner(r, out)
			}, nil
		}
	}
	// A single column can also be read from a bare value written by a
	// producer that does not wrap.
	if len(cols) == 1 {
		dec, err := compileAvroDec(sch, cols[0].Type, 0)
		if err != nil {
			return nil, err
		}
		return func(r *avroReader, out []value.Value) error {
			v, err := dec(r)
			out[0] = v
			return err
		}, nil
	}
	return nil, fmt.Errorf("Can't convert type. sourceType: %s, requiredType: STRUCT", avroNodeName(sch))
}

var errNullRecord = fmt.Errorf("null record")

func firstOr(s []avro.Schema) avro.Schema {
	if len(s) == 0 {
		return avro.NewPrimitiveSchema(avro.Null, nil)
	}
	return s[0]
}

// avroNamesTypes is colNamesTypes with names spelled as Avro fields.
func avroNamesTypes(cols []Column) ([]string, []*types.Type) {
	names, typs := colNamesTypes(cols)
	for i, n := range names {
		names[i] = avroFieldName(n)
	}
	return names, typs
}

func colNamesTypes(cols []Column) ([]string, []*types.Type) {
	names := make([]string, len(cols))
	typs := make([]*types.Type, len(cols))
	for i, c := range cols {
		names[i], typs[i] = c.Name, c.Type
	}
	return names, typs
}

func (d *avroDeserializer) Deserialize(data []byte, into []value.Value) ([]value.Value, error) {
	if len(data) == 0 {
		return nil, nil // as for JSON: an empty payload is a null record
	}
	id, payload, err := splitHeader(data)
	if err != nil {
		return nil, deserErr(&d.t, err)
	}
	p := d.plan(id)
	if p.err != nil {
		return nil, deserErr(&d.t, p.err)
	}
	d.r = avroReader{b: payload}
	r := &d.r
	defer func() { d.r.b = nil }()
	out := grow(into, len(d.t.Columns))
	if d.unwrapped {
		v, err := p.single(r)
		if err != nil {
			return nil, deserErr(&d.t, err)
		}
		if v.IsNull() && !d.t.IsKey {
			return nil, nil
		}
		out[0] = v
	} else if err := p.record(r, out); err != nil {
		if err == errNullRecord {
			return nil, nil
		}
		return nil, deserErr(&d.t, err)
	}
	return out, nil
}
