package format

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/types"
)

func TestInferColumns(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	avroText := `{"type":"record","name":"r","fields":[{"name":"customer_id","type":"int"},{"name":"ts","type":"long"}]}`
	id, err := reg.Register(ctx, "orders-value", Schema{Type: SchemaAvro, Text: avroText})
	if err != nil {
		t.Fatal(err)
	}
	jsonText, err := JSONSchemaFor(cols("B", types.BigintType, "A", types.IntType, "D", types.MustDecimal(5, 1),
		"M", types.MapOf(types.StringType, types.ArrayOf(types.BytesType)), "S", types.StructOf(types.Field{Name: "x", Type: types.TimestampType})), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Register(ctx, "js-value", Schema{Type: SchemaJSON, Text: jsonText}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Register(ctx, "pb-value", Schema{Type: SchemaProtobuf, Text: `syntax = "proto3"; message A {int32 c1 = 1;} message B {string c2 = 1;}`}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		format, topic string
		props         map[string]string
		key           bool
		want          string
	}{
		{"AVRO", "orders", nil, false, "[`CUSTOMER_ID` INTEGER, `TS` BIGINT]"},
		{"avro", "whatever", map[string]string{"schemaId": "1"}, false, "[`customer_id` INTEGER, `ts` BIGINT]"},
		{"JSON_SR", "js", nil, false, "[`B` BIGINT, `A` INTEGER, `D` DECIMAL(5, 1), `M` MAP<STRING, ARRAY<BYTES>>, `S` STRUCT<`X` TIMESTAMP>]"},
		{"PROTOBUF", "pb", nil, false, "[`C1` INTEGER]"},
		{"PROTOBUF", "pb", map[string]string{"fullSchemaName": "B"}, false, "[`C2` STRING]"},
		{"PROTOBUF", "pb", map[string]string{"fullSchemaName": "Nope"}, false, "ERR Schema for message values on topic 'pb' does not exist in the Schema Registry."},
		{"AVRO", "input_topic", nil, false, "ERR Schema for message values on topic 'input_topic' does not exist in the Schema Registry."},
		{"AVRO", "orders", nil, true, "ERR Schema for message keys on topic 'orders' does not exist in the Schema Registry."},
		{"JSON", "orders", nil, false, "ERR JSON does not support schema inference"},
	}
	for _, tc := range tests {
		got, err := InferColumns(ctx, reg, tc.format, tc.props, tc.topic, tc.key, WrapDefault)
		if strings.HasPrefix(tc.want, "ERR ") {
			if err == nil || !strings.Contains(err.Error(), tc.want[4:]) {
				t.Errorf("%s %s: got %v, want %q", tc.format, tc.topic, err, tc.want[4:])
			}
			if err != nil && !errors.Is(err, ErrSchema) && !errors.Is(err, ErrUnsupported) {
				t.Errorf("error %v has no kind", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", tc.format, tc.topic, err)
			continue
		}
		if s := FormatColumns(got.Columns, tc.key); s != tc.want {
			t.Errorf("%s %s: got %s, want %s", tc.format, tc.topic, s, tc.want)
		}
	}
	if got, _ := InferColumns(ctx, reg, "AVRO", nil, "orders", false, WrapDefault); got.SchemaID != id {
		t.Errorf("schema id %d, want %d", got.SchemaID, id)
	}
}

// TestInferUnwrapped: keys, and values with WRAP_SINGLE_VALUE=false, infer
// as one column holding the whole schema.
func TestInferUnwrapped(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	rec := `{"type":"record","name":"k","fields":[{"name":"F1","type":["null","string"]}]}`
	for _, subj := range []string{"t-key", "t-value"} {
		if _, err := reg.Register(ctx, subj, Schema{Type: SchemaAvro, Text: rec}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := reg.Register(ctx, "p-key", Schema{Type: SchemaProtobuf, Text: `syntax = "proto3"; message K {int32 F1 = 1;}`}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		format, topic string
		key           bool
		wrap          Wrapping
		want          string
	}{
		{"AVRO", "t", true, WrapDefault, "[`ROWKEY` STRUCT<`F1` STRING>]"},
		{"AVRO", "t", false, Unwrapped, "[`ROWVAL` STRUCT<`F1` STRING>]"},
		{"AVRO", "t", false, WrapDefault, "[`F1` STRING]"},
		{"PROTOBUF", "p", true, WrapDefault, "[`F1` INTEGER]"},
	}
	for _, tc := range tests {
		got, err := InferColumns(ctx, reg, tc.format, nil, tc.topic, tc.key, tc.wrap)
		if err != nil {
			t.Fatal(err)
		}
		if s := FormatColumns(got.Columns, false); s != tc.want {
			t.Errorf("%s key=%v wrap=%d: got %s, want %s", tc.format, tc.key, tc.wrap, s, tc.want)
		}
	}
}
