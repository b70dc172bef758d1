package format

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// kafkaFormat is ksqlDB's KAFKA format: Kafka's own primitive serdes for a
// single INT (4-byte big-endian), BIGINT (8 bytes), DOUBLE (IEEE 754),
// STRING (UTF-8) or BYTES (raw) column, or no column at all.
type kafkaFormat struct{}

func (kafkaFormat) Name() string { return Kafka }

func (kafkaFormat) Unwrapped(t Target) (bool, error) { return kafkaSingles.unwrapped(t) }

var kafkaSingles = singles{format: Kafka, canUnwrap: true, alwaysUnwraps: true}

func (kafkaFormat) Validate(t Target) error {
	if len(t.Columns) > 1 {
		return newErr(ErrUnsupported, "The 'KAFKA' format only supports a single field. Got: %s", FormatColumns(t.Columns, t.IsKey))
	}
	for _, c := range t.Columns {
		switch c.Type.Kind {
		case types.Int, types.Bigint, types.Double, types.String, types.Bytes:
		default:
			return newErr(ErrUnsupported, "The 'KAFKA' format does not support type '%s'", c.Type.Kind)
		}
	}
	if t.Wrap == Wrapped {
		_, err := kafkaSingles.unwrapped(t)
		return err
	}
	return nil
}

func (f kafkaFormat) Serializer(_ context.Context, t Target) (Serializer, error) {
	if err := f.Validate(t); err != nil {
		return nil, err
	}
	return &kafkaSerde{t: t}, nil
}

func (f kafkaFormat) Deserializer(_ context.Context, t Target) (Deserializer, error) {
	if err := f.Validate(t); err != nil {
		return nil, err
	}
	return &kafkaSerde{t: t}, nil
}

type kafkaSerde struct{ t Target }

func (s *kafkaSerde) Serialize(dst []byte, row []value.Value) ([]byte, error) {
	if row == nil || len(s.t.Columns) == 0 {
		return nil, nil
	}
	if len(row) != 1 {
		return nil, serErr(&s.t, fmt.Errorf("row has %d values for 1 column", len(row)))
	}
	v := row[0]
	if v.IsNull() {
		return nil, nil
	}
	if dst == nil {
		dst = make([]byte, 0, 16)
	}
	switch s.t.Columns[0].Type.Kind {
	case types.Int:
		return binary.BigEndian.AppendUint32(dst, uint32(v.AsInt64())), nil
	case types.Bigint:
		return binary.BigEndian.AppendUint64(dst, uint64(v.AsInt64())), nil
	case types.Double:
		return binary.BigEndian.AppendUint64(dst, math.Float64bits(v.AsFloat64())), nil
	case types.String:
		return append(dst, v.Str()...), nil
	case types.Bytes:
		return append(dst, v.BytesVal()...), nil
	}
	return nil, serErr(&s.t, fmt.Errorf("type %s", s.t.Columns[0].Type))
}

func (s *kafkaSerde) Deserialize(data []byte, into []value.Value) ([]value.Value, error) {
	if data == nil {
		return nil, nil
	}
	if len(s.t.Columns) == 0 {
		return grow(into, 0), nil
	}
	out := grow(into, 1)
	switch s.t.Columns[0].Type.Kind {
	case types.Int:
		if len(data) != 4 {
			return nil, deserErr(&s.t, fmt.Errorf("Size of data received by IntegerDeserializer is not 4"))
		}
		out[0] = value.Int(int32(binary.BigEndian.Uint32(data)))
	case types.Bigint:
		if len(data) != 8 {
			return nil, deserErr(&s.t, fmt.Errorf("Size of data received by LongDeserializer is not 8"))
		}
		out[0] = value.Bigint(int64(binary.BigEndian.Uint64(data)))
	case types.Double:
		if len(data) != 8 {
			return nil, deserErr(&s.t, fmt.Errorf("Size of data received by DoubleDeserializer is not 8"))
		}
		out[0] = value.Double(math.Float64frombits(binary.BigEndian.Uint64(data)))
	case types.String:
		out[0] = value.String(string(data))
	case types.Bytes:
		out[0] = value.Bytes(append([]byte(nil), data...))
	}
	return out, nil
}

// noneFormat is ksqlDB's NONE: no columns; the bytes are ignored.
type noneFormat struct{}

func (noneFormat) Name() string { return None }

func (noneFormat) Unwrapped(Target) (bool, error) { return false, nil }

func (noneFormat) Validate(t Target) error {
	if len(t.Columns) > 0 {
		return newErr(ErrUnsupported, "The 'NONE' format can only be used when no columns are defined. Got: %s", FormatColumns(t.Columns, t.IsKey))
	}
	return nil
}

func (f noneFormat) Serializer(_ context.Context, t Target) (Serializer, error) {
	if err := f.Validate(t); err != nil {
		return nil, err
	}
	return noneSerde{}, nil
}

func (f noneFormat) Deserializer(_ context.Context, t Target) (Deserializer, error) {
	if err := f.Validate(t); err != nil {
		return nil, err
	}
	return noneSerde{}, nil
}

type noneSerde struct{}

func (noneSerde) Serialize([]byte, []value.Value) ([]byte, error) { return nil, nil }

func (noneSerde) Deserialize(data []byte, into []value.Value) ([]value.Value, error) {
	if data == nil {
		return nil, nil
	}
	return grow(into, 0), nil
}
