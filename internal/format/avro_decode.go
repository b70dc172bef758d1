package format

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// avroDec decodes one Avro datum into a value of a column type. Decoders
// are compiled once per (writer schema, column type) pair, so the per-record
// work is a walk over closures with no schema inspection.
type avroDec func(r *avroReader) (value.Value, error)

// avroNodeName names a writer type for "Can't convert" errors.
func avroNodeName(s avro.Schema) string {
	return strings.ToUpper(string(derefAvro(s).Type()))
}

func avroConvErr(ws avro.Schema, t *types.Type) error {
	return fmt.Errorf("Can't convert type. sourceType: %s, requiredType: %s", avroNodeName(ws), TypeString(t))
}

// compileAvroDec builds a decoder from writer schema ws to column type t,
// with ksqlDB's coercions (any number to a wider number or STRING, enums to
// STRING, records to STRUCT by case-insensitive field name).
func compileAvroDec(ws avro.Schema, t *types.Type, depth int) (avroDec, error) {
	if depth > 64 {
		return nil, fmt.Errorf("Avro schema nests too deeply")
	}
	ws = derefAvro(ws)
	logical := avroLogical(ws)
	switch ws.Type() {
	case avro.Null:
		return func(*avroReader) (value.Value, error) { return value.Null, nil }, nil
	case avro.Union:
		return compileAvroUnion(ws.(*avro.UnionSchema), t, depth)
	case avro.Boolean:
		switch t.Kind {
		case types.Boolean:
			return func(r *avroReader) (value.Value, error) {
				b, err := r.boolean()
				return value.Bool(b), err
			}, nil
		case types.String:
			return func(r *avroReader) (value.Value, error) {
				b, err := r.boolean()
				return value.String(strconv.FormatBool(b)), err
			}, nil
		}
	case avro.Int, avro.Long:
		conv := intConverter(t, temporalUnit(logical, t))
		if conv == nil {
			break
		}
		return func(r *avroReader) (value.Value, error) {
			n, err := r.long()
			if err != nil {
				return value.Null, err
			}
			return conv(n)
		}, nil
	case avro.Float, avro.Double:
		isFloat := ws.Type() == avro.Float
		conv := floatConverter(t)
		if conv == nil {
			break
		}
		return func(r *avroReader) (value.Value, error) {
			var f float64
			if isFloat {
				f32, err := r.float()
				if err != nil {
					return value.Null, err
				}
				// Widened exactly, as Java's Float.doubleValue does: 1.1234f
				// reads as 1.1233999729156494, which ksqlDB shows too.
				f = float64(f32)
			} else {
				var err error
				if f, err = r.double(); err != nil {
					return value.Null, err
				}
			}
			return conv(f)
		}, nil
	case avro.String:
		if t.Kind == types.String {
			return func(r *avroReader) (value.Value, error) {
				b, err := r.bytes()
				return value.String(string(b)), err
			}, nil
		}
	case avro.Enum:
		if t.Kind == types.String {
			syms := ws.(*avro.EnumSchema).Symbols()
			return func(r *avroReader) (value.Value, error) {
				n, err := r.long()
				if err != nil {
					return value.Null, err
				}
				if n < 0 || n >= int64(len(syms)) {
					return value.Null, fmt.Errorf("enum index %d out of range", n)
				}
				return value.String(syms[n]), nil
			}, nil
		}
	case avro.Bytes, avro.Fixed:
		size := -1
		if f, ok := ws.(*avro.FixedSchema); ok {
			size = f.Size()
		}
		read := func(r *avroReader) ([]byte, error) {
			if size >= 0 {
				return r.fixed(size)
			}
			return r.bytes()
		}
		if _, scale, ok := avroDecimalParams(ws); ok && (t.Kind == types.Decimal || t.Kind == types.Double || t.Kind == types.String) {
			return func(r *avroReader) (value.Value, error) {
				b, err := read(r)
				if err != nil {
					return value.Null, err
				}
				n, u := fromTwos(b)
				var v value.Value
				if u != nil {
					v = value.DecimalBig(u, int32(scale))
				} else {
					v = value.DecimalInt64(n, int32(scale))
				}
				switch t.Kind {
				case types.Double:
					return value.Double(v.AsFloat64()), nil
				case types.String:
					return value.String(v.DecimalString()), nil
				}
				return rescale(v, t)
			}, nil
		}
		if t.Kind == types.Bytes {
			return func(r *avroReader) (value.Value, error) {
				b, err := read(r)
				if err != nil {
					return value.Null, err
				}
				return value.Bytes(append([]byte(nil), b...)), nil
			}, nil
		}
	case avro.Array:
		if t.Kind == types.Map {
			return compileAvroEntriesDec(ws.(*avro.ArraySchema), t, depth)
		}
		if t.Kind != types.Array {
			break
		}
		elem, err := compileAvroDec(ws.(*avro.ArraySchema).Items(), t.Elem, depth+1)
		if err != nil {
			return nil, err
		}
		return func(r *avroReader) (value.Value, error) {
			out := []value.Value{}
			for {
				n, err := r.blockCount()
				if err != nil {
					return value.Null, err
				}
				if n == 0 {
					return value.Array(out), nil
				}
				for range n {
					v, err := elem(r)
					if err != nil {
						return value.Null, err
					}
					out = append(out, v)
				}
			}
		}, nil
	case avro.Map:
		if t.Kind != types.Map || t.Key.Kind != types.String {
			break
		}
		val, err := compileAvroDec(ws.(*avro.MapSchema).Values(), t.Elem, depth+1)
		if err != nil {
			return nil, err
		}
		return func(r *avroReader) (value.Value, error) {
			out := []value.Entry{}
			for {
				n, err := r.blockCount()
				if err != nil {
					return value.Null, err
				}
				if n == 0 {
					return value.Map(out), nil
				}
				for range n {
					k, err := r.bytes()
					if err != nil {
						return value.Null, err
					}
					v, err := val(r)
					if err != nil {
						return value.Null, err
					}
					out = append(out, value.Entry{Key: value.String(string(k)), Val: v})
				}
			}
		}, nil
	case avro.Record:
		if t.Kind != types.Struct {
			break
		}
		rec, err := compileAvroRecord(ws.(*avro.RecordSchema), structNames(t), structTypes(t), depth)
		if err != nil {
			return nil, err
		}
		n := len(t.Fields)
		return func(r *avroReader) (value.Value, error) {
			out := make([]value.Value, n)
			if err := rec(r, out); err != nil {
				return value.Null, err
			}
			return value.Struct(out), nil
		}, nil
	}
	return nil, avroConvErr(ws, t)
}

func structNames(t *types.Type) []string {
	out := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		out[i] = f.Name
	}
	return out
}

func structTypes(t *types.Type) []*types.Type {
	out := make([]*types.Type, len(t.Fields))
	for i, f := range t.Fields {
		out[i] = f.Type
	}
	return out
}

// intConverter maps an Avro int/long (divided by div, for micros) to t.
func intConverter(t *types.Type, div int64) func(int64) (value.Value, error) {
	switch t.Kind {
	case types.Int:
		return func(n int64) (value.Value, error) { return value.Int(int32(n / div)), nil }
	case types.Bigint:
		return func(n int64) (value.Value, error) { return value.Bigint(n / div), nil }
	case types.Double:
		return func(n int64) (value.Value, error) { return value.Double(float64(n / div)), nil }
	case types.Decimal:
		return func(n int64) (value.Value, error) { return fitDecimal(big.NewInt(n/div), 0, t) }
	case types.String:
		return func(n int64) (value.Value, error) { return value.String(strconv.FormatInt(n/div, 10)), nil }
	case types.Date:
		return func(n int64) (value.Value, error) { return value.Date(n / div), nil }
	case types.Time:
		return func(n int64) (value.Value, error) { return value.Time(n / div), nil }
	case types.Timestamp:
		return func(n int64) (value.Value, error) { return value.Timestamp(n / div), nil }
	}
	return nil
}

func floatConverter(t *types.Type) func(float64) (value.Value, error) {
	switch t.Kind {
	case types.Double:
		return func(f float64) (value.Value, error) { return value.Double(f), nil }
	case types.Decimal:
		return func(f float64) (value.Value, error) { return decimalFromFloat(f, t) }
	case types.String:
		return func(f float64) (value.Value, error) { return value.String(value.FormatDouble(f)), nil }
	case types.Int:
		return func(f float64) (value.Value, error) { return value.Int(int32(f)), nil }
	case types.Bigint:
		return func(f float64) (value.Value, error) {
			if math.IsNaN(f) {
				return value.Bigint(0), nil
			}
			return value.Bigint(int64(f)), nil
		}
	}
	return nil
}

func compileAvroUnion(u *avro.UnionSchema, t *types.Type, depth int) (avroDec, error) {
	branches := u.Types()
	decs := make([]avroDec, len(branches))
	nn := nonNull(u)
	for i, b := range branches {
		b = derefAvro(b)
		switch {
		case b.Type() == avro.Null:
			decs[i] = func(*avroReader) (value.Value, error) { return value.Null, nil }
		case len(nn) > 1 && t.Kind == types.Struct:
			// A general union read as Confluent's struct of branches: only
			// the field named after the branch present is set.
			name := strings.ToUpper(avroBranchName(b))
			idx := -1
			for j, f := range t.Fields {
				if strings.ToUpper(f.Name) == name {
					idx = j
				}
			}
			if idx < 0 {
				decs[i] = skipOnly(b, len(t.Fields))
				continue
			}
			d, err := compileAvroDec(b, t.Fields[idx].Type, depth+1)
			if err != nil {
				return nil, err
			}
			n := len(t.Fields)
			decs[i] = func(r *avroReader) (value.Value, error) {
				v, err := d(r)
				if err != nil {
					return value.Null, err
				}
				out := make([]value.Value, n)
				out[idx] = v
				return value.Struct(out), nil
			}
		default:
			d, err := compileAvroDec(b, t, depth+1)
			if err != nil {
				if len(nn) == 1 {
					return nil, err
				}
				// Other branches may still fit; this one fails if written.
				e := err
				decs[i] = func(*avroReader) (value.Value, error) { return value.Null, e }
				continue
			}
			decs[i] = d
		}
	}
	if len(decs) == 2 && len(nn) == 1 {
		// The common optional field, ["null", T] or [T, "null"]: one
		// indirect call fewer per field.
		nullIdx, _ := avroNullIndex(u)
		inner := decs[1-nullIdx]
		return func(r *avroReader) (value.Value, error) {
			n, err := r.long()
			if err != nil {
				return value.Null, err
			}
			switch n {
			case int64(nullIdx):
				return value.Null, nil
			case int64(1 - nullIdx):
				return inner(r)
			}
			return value.Null, fmt.Errorf("union index %d out of range", n)
		}, nil
	}
	return func(r *avroReader) (value.Value, error) {
		n, err := r.long()
		if err != nil {
			return value.Null, err
		}
		if n < 0 || n >= int64(len(decs)) {
			return value.Null, fmt.Errorf("union index %d out of range", n)
		}
		return decs[n](r)
	}, nil
}

// skipOnly consumes a datum of s and yields an empty struct of n fields.
func skipOnly(s avro.Schema, n int) avroDec {
	sk := compileAvroSkip(s, 0)
	return func(r *avroReader) (value.Value, error) {
		if err := sk(r); err != nil {
			return value.Null, err
		}
		return value.Struct(make([]value.Value, n)), nil
	}
}

// avroRecordDec decodes a record's fields into out, one slot per target.
type avroRecordDec func(r *avroReader, out []value.Value) error

// compileAvroRecord maps writer fields onto target names (exact match
// first, then case-insensitive); unmatched writer fields are skipped and
// unmatched targets stay NULL.
func compileAvroRecord(rec *avro.RecordSchema, names []string, typs []*types.Type, depth int) (avroRecordDec, error) {
	f := newFields(names)
	wf := rec.Fields()
	type step struct {
		idx  int
		name string
		dec  avroDec
		skip func(*avroReader) error
	}
	steps := make([]step, len(wf))
	taken := make([]bool, len(names))
	var buf [64]byte
	// Exact matches claim their targets before case-insensitive ones.
	for pass := 0; pass < 2; pass++ {
		for i, w := range wf {
			if steps[i].dec != nil {
				continue
			}
			idx, exact := f.lookup([]byte(w.Name()), &buf)
			if idx < 0 || taken[idx] || (pass == 0 && !exact) {
				continue
			}
			d, err := compileAvroDec(w.Type(), typs[idx], depth+1)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", w.Name(), err)
			}
			taken[idx] = true
			steps[i] = step{idx: idx, name: w.Name(), dec: d}
		}
	}
	for i, w := range wf {
		if steps[i].dec == nil {
			steps[i] = step{idx: -1, skip: compileAvroSkip(w.Type(), depth+1)}
		}
	}
	return func(r *avroReader, out []value.Value) error {
		for _, s := range steps {
			if s.idx < 0 {
				if err := s.skip(r); err != nil {
					return err
				}
				continue
			}
			v, err := s.dec(r)
			if err != nil {
				return fmt.Errorf("field %s: %w", s.name, err)
			}
			out[s.idx] = v
		}
		return nil
	}, nil
}

// avroEntries recognises Kafka Connect's encoding of a map as an array of
// key/value records (how AvroData writes maps with non-string keys, and
// how some producers write every map): it returns the entry record and,
// when items are a nullable union, the branch indexes.
func avroEntries(a *avro.ArraySchema) (rec *avro.RecordSchema, nullIdx, recIdx int, ok bool) {
	items := derefAvro(a.Items())
	nullIdx, recIdx = -1, -1
	if u, isU := items.(*avro.UnionSchema); isU {
		for i, b := range u.Types() {
			switch derefAvro(b).Type() {
			case avro.Null:
				nullIdx = i
			case avro.Record:
				recIdx = i
				items = derefAvro(b)
			}
		}
		if recIdx < 0 || len(u.Types()) > 2 {
			return nil, 0, 0, false
		}
	}
	rec, ok = items.(*avro.RecordSchema)
	if !ok {
		return nil, 0, 0, false
	}
	var k, v bool
	for _, f := range rec.Fields() {
		k = k || f.Name() == "key"
		v = v || f.Name() == "value"
	}
	return rec, nullIdx, recIdx, k && v
}

func compileAvroEntriesDec(a *avro.ArraySchema, t *types.Type, depth int) (avroDec, error) {
	rec, nullIdx, recIdx, ok := avroEntries(a)
	if !ok {
		return nil, avroConvErr(a, t)
	}
	entry, err := compileAvroRecord(rec, []string{"key", "value"}, []*types.Type{t.Key, t.Elem}, depth+1)
	if err != nil {
		return nil, err
	}
	return func(r *avroReader) (value.Value, error) {
		out := []value.Entry{}
		var kv [2]value.Value
		for {
			n, err := r.blockCount()
			if err != nil {
				return value.Null, err
			}
			if n == 0 {
				return value.Map(out), nil
			}
			for range n {
				if recIdx >= 0 {
					b, err := r.long()
					if err != nil {
						return value.Null, err
					}
					if b == int64(nullIdx) {
						continue
					}
					if b != int64(recIdx) {
						return value.Null, fmt.Errorf("union index %d out of range", b)
					}
				}
				kv = [2]value.Value{}
				if err := entry(r, kv[:]); err != nil {
					return value.Null, err
				}
				out = append(out, value.Entry{Key: kv[0], Val: kv[1]})
			}
		}
	}, nil
}
