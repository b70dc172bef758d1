package format

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/hamba/avro/v2"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// avroEnc appends one value, of the column type it was compiled for, in
// the writer schema's binary encoding.
type avroEnc func(b []byte, v value.Value) ([]byte, error)

// compileAvroEnc builds an encoder from column type t to writer schema ws.
// ws is usually the schema generated from the columns, but with a schema id
// it is a user's schema, so the usual widenings are accepted.
func compileAvroEnc(ws avro.Schema, t *types.Type, depth int) (avroEnc, error) {
	if depth > 64 {
		return nil, fmt.Errorf("Avro schema nests too deeply")
	}
	ws = derefAvro(ws)
	logical := avroLogical(ws)
	switch ws.Type() {
	case avro.Union:
		return compileAvroUnionEnc(ws.(*avro.UnionSchema), t, depth)
	case avro.Null:
		return func(b []byte, v value.Value) ([]byte, error) {
			if !v.IsNull() {
				return b, fmt.Errorf("non-null value for an Avro null")
			}
			return b, nil
		}, nil
	case avro.Boolean:
		if t.Kind == types.Boolean {
			return required(func(b []byte, v value.Value) ([]byte, error) {
				if v.Bool() {
					return append(b, 1), nil
				}
				return append(b, 0), nil
			}), nil
		}
	case avro.Int, avro.Long:
		mul := temporalUnit(logical, t)
		switch t.Kind {
		case types.Int, types.Bigint, types.Date, types.Time, types.Timestamp:
			return required(func(b []byte, v value.Value) ([]byte, error) {
				return appendAvroLong(b, v.AsInt64()*mul), nil
			}), nil
		}
	case avro.Float, avro.Double:
		isFloat := ws.Type() == avro.Float
		if isNum(t.Kind) {
			return required(func(b []byte, v value.Value) ([]byte, error) {
				f := v.AsFloat64()
				if isFloat {
					return binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(f))), nil
				}
				return binary.LittleEndian.AppendUint64(b, math.Float64bits(f)), nil
			}), nil
		}
	case avro.String:
		if t.Kind == types.String {
			return required(func(b []byte, v value.Value) ([]byte, error) {
				return appendAvroString(b, v.Str()), nil
			}), nil
		}
	case avro.Enum:
		if t.Kind == types.String {
			syms := ws.(*avro.EnumSchema).Symbols()
			return required(func(b []byte, v value.Value) ([]byte, error) {
				for i, s := range syms {
					if s == v.Str() {
						return appendAvroLong(b, int64(i)), nil
					}
				}
				return b, fmt.Errorf("%q is not a symbol of enum %s", v.Str(), ws.(*avro.EnumSchema).FullName())
			}), nil
		}
	case avro.Bytes, avro.Fixed:
		size := 0
		if f, ok := ws.(*avro.FixedSchema); ok {
			size = f.Size()
		}
		if prec, scale, ok := avroDecimalParams(ws); ok && t.Kind == types.Decimal {
			target, err := types.DecimalOf(prec, scale)
			if err != nil {
				return nil, err
			}
			return required(func(b []byte, v value.Value) ([]byte, error) {
				d, err := rescale(v, target)
				if err != nil {
					return b, err
				}
				if n, ok := d.UnscaledInt64(); ok && size == 0 {
					var tmp [9]byte
					enc := appendTwosInt64(tmp[:0], n)
					return appendAvroBytes(b, enc), nil
				}
				enc, ok := twosComplement(d.Unscaled(), size)
				if !ok {
					return b, fmt.Errorf("decimal %s does not fit in fixed(%d)", d.DecimalString(), size)
				}
				if size > 0 {
					return append(b, enc...), nil
				}
				return appendAvroBytes(b, enc), nil
			}), nil
		}
		if t.Kind == types.Bytes {
			return required(func(b []byte, v value.Value) ([]byte, error) {
				p := v.BytesVal()
				if size > 0 {
					if len(p) != size {
						return b, fmt.Errorf("%d bytes for fixed(%d)", len(p), size)
					}
					return append(b, p...), nil
				}
				return appendAvroBytes(b, p), nil
			}), nil
		}
	case avro.Array:
		if t.Kind == types.Map {
			if rec, _, recIdx, ok := avroEntries(ws.(*avro.ArraySchema)); ok {
				entry, err := compileAvroRecordEnc(rec, []string{"key", "value"}, []*types.Type{t.Key, t.Elem}, depth+1)
				if err != nil {
					return nil, err
				}
				return required(func(b []byte, v value.Value) ([]byte, error) {
					es := v.Entries()
					if len(es) > 0 {
						b = appendAvroLong(b, int64(len(es)))
						for _, e := range es {
							if recIdx >= 0 {
								b = appendAvroLong(b, int64(recIdx))
							}
							var err error
							if b, err = entry(b, []value.Value{e.Key, e.Val}); err != nil {
								return b, err
							}
						}
					}
					return append(b, 0), nil
				}), nil
			}
		}
		if t.Kind != types.Array {
			break
		}
		elem, err := compileAvroEnc(ws.(*avro.ArraySchema).Items(), t.Elem, depth+1)
		if err != nil {
			return nil, err
		}
		return required(func(b []byte, v value.Value) ([]byte, error) {
			es := v.Elems()
			if len(es) > 0 {
				b = appendAvroLong(b, int64(len(es)))
				for _, e := range es {
					var err error
					if b, err = elem(b, e); err != nil {
						return b, err
					}
				}
			}
			return append(b, 0), nil
		}), nil
	case avro.Map:
		if t.Kind != types.Map || t.Key.Kind != types.String {
			break
		}
		val, err := compileAvroEnc(ws.(*avro.MapSchema).Values(), t.Elem, depth+1)
		if err != nil {
			return nil, err
		}
		return required(func(b []byte, v value.Value) ([]byte, error) {
			es := v.Entries()
			if len(es) > 0 {
				b = appendAvroLong(b, int64(len(es)))
				for _, e := range es {
					b = appendAvroString(b, e.Key.Str())
					var err error
					if b, err = val(b, e.Val); err != nil {
						return b, err
					}
				}
			}
			return append(b, 0), nil
		}), nil
	case avro.Record:
		if t.Kind != types.Struct {
			break
		}
		rec, err := compileAvroRecordEnc(ws.(*avro.RecordSchema), structNames(t), structTypes(t), depth)
		if err != nil {
			return nil, err
		}
		return required(func(b []byte, v value.Value) ([]byte, error) {
			return rec(b, v.Elems())
		}), nil
	}
	return nil, fmt.Errorf("Can't convert type. sourceType: %s, requiredType: %s", TypeString(t), avroNodeName(ws))
}

// required rejects NULL for a writer type that is not a union with null.
func required(e avroEnc) avroEnc {
	return func(b []byte, v value.Value) ([]byte, error) {
		if v.IsNull() {
			return b, fmt.Errorf("null value for a non-optional Avro field")
		}
		return e(b, v)
	}
}

func compileAvroUnionEnc(u *avro.UnionSchema, t *types.Type, depth int) (avroEnc, error) {
	nullIdx, idx := -1, -1
	var enc avroEnc
	var firstErr error
	for i, b := range u.Types() {
		if derefAvro(b).Type() == avro.Null {
			if nullIdx < 0 {
				nullIdx = i
			}
			continue
		}
		if enc != nil {
			continue
		}
		e, err := compileAvroEnc(b, t, depth+1)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		idx, enc = i, e
	}
	if enc == nil {
		if firstErr == nil {
			firstErr = fmt.Errorf("no union branch for %s", TypeString(t))
		}
		return nil, firstErr
	}
	return func(b []byte, v value.Value) ([]byte, error) {
		if v.IsNull() {
			if nullIdx < 0 {
				return b, fmt.Errorf("null value for a non-optional Avro field")
			}
			return appendAvroLong(b, int64(nullIdx)), nil
		}
		b = appendAvroLong(b, int64(idx))
		return enc(b, v)
	}, nil
}

// avroRecordEnc encodes a row or struct's values as a record.
type avroRecordEnc func(b []byte, vals []value.Value) ([]byte, error)

// compileAvroRecordEnc maps the writer's fields to the source names (exact,
// then case-insensitive). A writer field with no source is written as its
// null branch, or fails if it has none, as Confluent's serializer does.
func compileAvroRecordEnc(rec *avro.RecordSchema, names []string, typs []*types.Type, depth int) (avroRecordEnc, error) {
	f := newFields(names)
	var buf [64]byte
	wf := rec.Fields()
	encs := make([]avroEnc, len(wf))
	idxs := make([]int, len(wf))
	for i, w := range wf {
		idx, _ := f.lookup([]byte(w.Name()), &buf)
		if idx < 0 {
			// Also match a writer name that differs from the source only by
			// case, the other way round (e.g. writer "id", column ID).
			for j, n := range names {
				if strings.EqualFold(n, w.Name()) {
					idx = j
					break
				}
			}
		}
		idxs[i] = idx
		t := types.NullType
		if idx >= 0 {
			t = typs[idx]
		}
		def, hasDef, err := avroFieldDefault(w)
		if err != nil {
			return nil, err
		}
		if idx < 0 {
			if hasDef {
				encs[i] = func(b []byte, _ value.Value) ([]byte, error) { return append(b, def...), nil }
				continue
			}
			ni, ok := avroNullIndex(w.Type())
			if !ok {
				return nil, fmt.Errorf("Missing required field: %s", w.Name())
			}
			encs[i] = func(b []byte, _ value.Value) ([]byte, error) {
				if ni < 0 {
					return b, nil
				}
				return appendAvroLong(b, int64(ni)), nil
			}
			continue
		}
		e, err := compileAvroEnc(w.Type(), t, depth+1)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", w.Name(), err)
		}
		if _, nullable := avroNullIndex(w.Type()); hasDef && !nullable {
			// Connect's Struct reads a null field as its schema's default,
			// so a NULL in a field that cannot hold one writes the default.
			inner := e
			e = func(b []byte, v value.Value) ([]byte, error) {
				if v.IsNull() {
					return append(b, def...), nil
				}
				return inner(b, v)
			}
		}
		encs[i] = e
	}
	return func(b []byte, vals []value.Value) ([]byte, error) {
		for i, e := range encs {
			v := value.Null
			if j := idxs[i]; j >= 0 && j < len(vals) {
				v = vals[j]
			}
			var err error
			if b, err = e(b, v); err != nil {
				return b, fmt.Errorf("%s: %w", wf[i].Name(), err)
			}
		}
		return b, nil
	}, nil
}

// avroNullIndex returns the null branch of a union (-1 for the null type
// itself, which encodes as nothing) and whether s admits null at all.
func avroNullIndex(s avro.Schema) (int, bool) {
	s = derefAvro(s)
	if s.Type() == avro.Null {
		return -1, true
	}
	if u, ok := s.(*avro.UnionSchema); ok {
		for i, b := range u.Types() {
			if derefAvro(b).Type() == avro.Null {
				return i, true
			}
		}
	}
	return 0, false
}

// avroFieldDefault returns the encoding of a writer field's default value,
// if it has a non-null one.
func avroFieldDefault(w *avro.Field) ([]byte, bool, error) {
	if !w.HasDefault() || w.Default() == nil {
		return nil, false, nil
	}
	b, err := avro.Marshal(w.Type(), w.Default())
	if err != nil {
		return nil, false, fmt.Errorf("field %s: default: %w", w.Name(), err)
	}
	return b, true, nil
}
