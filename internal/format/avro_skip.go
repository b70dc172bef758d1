package format

import (
	"fmt"

	"github.com/hamba/avro/v2"
)

// compileAvroSkip builds a function that consumes one datum of s.
func compileAvroSkip(s avro.Schema, depth int) func(*avroReader) error {
	if depth > 64 {
		return func(*avroReader) error { return fmt.Errorf("Avro schema nests too deeply") }
	}
	s = derefAvro(s)
	switch s.Type() {
	case avro.Null:
		return func(*avroReader) error { return nil }
	case avro.Boolean:
		return func(r *avroReader) error { _, err := r.boolean(); return err }
	case avro.Int, avro.Long, avro.Enum:
		return func(r *avroReader) error { _, err := r.long(); return err }
	case avro.Float:
		return func(r *avroReader) error { _, err := r.float(); return err }
	case avro.Double:
		return func(r *avroReader) error { _, err := r.double(); return err }
	case avro.String, avro.Bytes:
		return func(r *avroReader) error { _, err := r.bytes(); return err }
	case avro.Fixed:
		n := s.(*avro.FixedSchema).Size()
		return func(r *avroReader) error { _, err := r.fixed(n); return err }
	case avro.Array, avro.Map:
		var item func(*avroReader) error
		isMap := s.Type() == avro.Map
		if isMap {
			item = compileAvroSkip(s.(*avro.MapSchema).Values(), depth+1)
		} else {
			item = compileAvroSkip(s.(*avro.ArraySchema).Items(), depth+1)
		}
		return func(r *avroReader) error {
			for {
				n, err := r.blockCount()
				if err != nil || n == 0 {
					return err
				}
				for range n {
					if isMap {
						if _, err := r.bytes(); err != nil {
							return err
						}
					}
					if err := item(r); err != nil {
						return err
					}
				}
			}
		}
	case avro.Record:
		var fs []func(*avroReader) error
		for _, f := range s.(*avro.RecordSchema).Fields() {
			fs = append(fs, compileAvroSkip(f.Type(), depth+1))
		}
		return func(r *avroReader) error {
			for _, f := range fs {
				if err := f(r); err != nil {
					return err
				}
			}
			return nil
		}
	case avro.Union:
		var bs []func(*avroReader) error
		for _, b := range s.(*avro.UnionSchema).Types() {
			bs = append(bs, compileAvroSkip(b, depth+1))
		}
		return func(r *avroReader) error {
			n, err := r.long()
			if err != nil {
				return err
			}
			if n < 0 || n >= int64(len(bs)) {
				return fmt.Errorf("union index %d out of range", n)
			}
			return bs[n](r)
		}
	}
	return func(*avroReader) error { return fmt.Errorf("cannot skip Avro type %s", s.Type()) }
}
