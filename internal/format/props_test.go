package format

import (
	"reflect"
	"testing"
)

func TestPropsFromWith(t *testing.T) {
	with := map[string]string{
		"kafka_topic": "t", "value_format": "AVRO", "key_format": "DELIMITED",
		"Value_Avro_Schema_Full_Name": "a.B", "VALUE_SCHEMA_ID": "7", "KEY_DELIMITER": "TAB",
		"value_protobuf_nullable_representation": "OPTIONAL",
	}
	if got, want := PropsFromWith(with, false), map[string]string{
		"fullSchemaName": "a.B", "schemaId": "7", "nullableRepresentation": "OPTIONAL",
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("value: got %v, want %v", got, want)
	}
	if got, want := PropsFromWith(with, true), map[string]string{"delimiter": "TAB"}; !reflect.DeepEqual(got, want) {
		t.Errorf("key: got %v, want %v", got, want)
	}
	tests := []struct {
		with map[string]string
		def  string
		cols int
		want Wrapping
	}{
		{nil, "", 1, WrapDefault},
		{nil, "false", 1, Unwrapped},
		{nil, "false", 2, WrapDefault}, // the setting only applies to single columns
		{map[string]string{"wrap_single_value": "TRUE"}, "false", 1, Wrapped},
		{map[string]string{"WRAP_SINGLE_VALUE": "false"}, "", 2, Unwrapped}, // explicit: the serde reports the error
	}
	for _, tc := range tests {
		if got, err := WrappingFromWith(tc.with, tc.def, tc.cols); err != nil || got != tc.want {
			t.Errorf("%v/%q: got %v %v, want %v", tc.with, tc.def, got, err, tc.want)
		}
	}
	if _, err := WrappingFromWith(map[string]string{"WRAP_SINGLE_VALUE": "maybe"}, "", 1); err == nil {
		t.Error("bad WRAP_SINGLE_VALUE accepted")
	}
}
