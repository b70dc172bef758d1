package registry

import (
	"strings"
	"testing"
)

func mustParse(t *testing.T, typ SchemaType, text string) *parsed {
	t.Helper()
	p, err := parseSchema(Schema{Type: typ, Text: text}, nil)
	if err != nil {
		t.Fatalf("parse %s %s: %v", typ, text, err)
	}
	return p
}

const (
	avroV1        = `{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}`
	avroAddDef    = `{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"qty","type":"int","default":0}]}`
	avroAddNoDef  = `{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"qty","type":"int"}]}`
	avroWiden     = `{"type":"record","name":"Order","fields":[{"name":"id","type":"double"}]}`
	avroRename    = `{"type":"record","name":"Order","fields":[{"name":"ident","type":"long"}]}`
	avroOptional  = `{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"],"default":null}]}`
	avroTypeBreak = `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}`
)

const (
	protoV1 = `syntax = "proto3"; package shop;
message Order { int64 id = 1; string note = 2; }`
	protoAdd = `syntax = "proto3"; package shop;
message Order { int64 id = 1; string note = 2; int32 qty = 3; }`
	protoRemove = `syntax = "proto3"; package shop;
message Order { int64 id = 1; }`
	protoRetype = `syntax = "proto3"; package shop;
message Order { int64 id = 1; double note = 2; }`
	protoSameWire = `syntax = "proto3"; package shop;
message Order { uint64 id = 1; bytes note = 2; }`
	protoPackage = `syntax = "proto3"; package store;
message Order { int64 id = 1; string note = 2; }`
	protoRenamedMsg = `syntax = "proto3"; package shop;
message Purchase { int64 id = 1; string note = 2; }`
	protoOneof = `syntax = "proto3"; package shop;
message Order { oneof k { int64 id = 1; string note = 2; } }`
	protoMsgField = `syntax = "proto3"; package shop;
message Line { int32 n = 1; }
message Order { int64 id = 1; Line note = 2; }`
)

const (
	jsonV1      = `{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}`
	jsonAddOpen = `{"type":"object","properties":{"id":{"type":"integer"},"qty":{"type":"integer"}},"required":["id"]}`
	jsonClosed  = `{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"],"additionalProperties":false}`
	jsonClosed2 = `{"type":"object","properties":{"id":{"type":"integer"},"qty":{"type":"integer"}},"required":["id"],"additionalProperties":false}`
	jsonReq     = `{"type":"object","properties":{"id":{"type":"integer"},"qty":{"type":"integer"}},"required":["id","qty"],"additionalProperties":false}`
	jsonNumber  = `{"type":"object","properties":{"id":{"type":"number"}},"required":["id"]}`
	jsonString  = `{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}`
	jsonEnumA   = `{"type":"string","enum":["a","b"]}`
	jsonEnumAB  = `{"type":"string","enum":["a","b","c"]}`
)

func TestCompatibility(t *testing.T) {
	for _, tc := range []struct {
		name     string
		typ      SchemaType
		level    Level
		earlier  []string
		next     string
		ok       bool
		contains string
	}{
		{"avro none allows anything", Avro, None, []string{avroV1}, avroTypeBreak, true, ""},
		{"avro backward add with default", Avro, Backward, []string{avroV1}, avroAddDef, true, ""},
		{"avro backward add without default", Avro, Backward, []string{avroV1}, avroAddNoDef, false, "qty"},
		{"avro forward add without default", Avro, Forward, []string{avroV1}, avroAddNoDef, true, ""},
		{"avro forward remove field without default", Avro, Forward, []string{avroAddNoDef}, avroV1, false, "qty"},
		{"avro backward remove field", Avro, Backward, []string{avroAddNoDef}, avroV1, true, ""},
		{"avro backward widen long to double", Avro, Backward, []string{avroV1}, avroWiden, true, ""},
		{"avro forward widen long to double", Avro, Forward, []string{avroV1}, avroWiden, false, ""},
		{"avro full add optional", Avro, Full, []string{avroV1}, avroOptional, true, ""},
		{"avro full add without default", Avro, Full, []string{avroV1}, avroAddNoDef, false, "BACKWARD"},
		{"avro backward rename", Avro, Backward, []string{avroV1}, avroRename, false, ""},
		{"avro backward type change", Avro, Backward, []string{avroV1}, avroTypeBreak, false, ""},
		// The transitive levels see the first version; the plain ones
		// only the latest.
		{"avro backward non-transitive", Avro, Backward, []string{avroAddNoDef, avroV1}, avroAddDef, true, ""},
		{"avro backward transitive", Avro, BackwardTransitive, []string{avroTypeBreak, avroV1}, avroAddDef, false, ""},
		{"avro forward transitive", Avro, ForwardTransitive, []string{avroAddNoDef, avroAddDef}, avroV1, false, ""},
		{"avro full transitive ok", Avro, FullTransitive, []string{avroV1, avroOptional}, avroOptional, true, ""},

		{"proto add field", Protobuf, Full, []string{protoV1}, protoAdd, true, ""},
		{"proto remove field", Protobuf, Full, []string{protoV1}, protoRemove, true, ""},
		{"proto scalar kind change", Protobuf, Backward, []string{protoV1}, protoRetype, false, "FIELD_SCALAR_KIND_CHANGED"},
		{"proto same wire type", Protobuf, Full, []string{protoV1}, protoSameWire, true, ""},
		{"proto package change", Protobuf, Backward, []string{protoV1}, protoPackage, false, "PACKAGE_CHANGED"},
		{"proto message removed", Protobuf, Backward, []string{protoV1}, protoRenamedMsg, false, "MESSAGE_REMOVED"},
		{"proto fields moved into new oneof", Protobuf, Backward, []string{protoV1}, protoOneof, false, "MULTIPLE_FIELDS_MOVED_TO_ONEOF"},
		{"proto scalar to message", Protobuf, Backward, []string{protoV1}, protoMsgField, false, "FIELD_KIND_CHANGED"},
		{"proto none", Protobuf, None, []string{protoV1}, protoRetype, true, ""},

		{"json add to open model", JSON, Backward, []string{jsonV1}, jsonAddOpen, false, "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"},
		{"json add to closed model", JSON, Backward, []string{jsonClosed}, jsonClosed2, true, ""},
		{"json remove from closed model", JSON, Backward, []string{jsonClosed2}, jsonClosed, false, "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"},
		{"json remove from closed model forward", JSON, Forward, []string{jsonClosed2}, jsonClosed, true, ""},
		{"json required added", JSON, Backward, []string{jsonClosed2}, jsonReq, false, "REQUIRED_PROPERTY_ADDED"},
		{"json widen integer to number", JSON, Backward, []string{jsonV1}, jsonNumber, true, ""},
		{"json narrow number to integer", JSON, Backward, []string{jsonNumber}, jsonV1, false, "TYPE_CHANGED"},
		{"json type change", JSON, Backward, []string{jsonV1}, jsonString, false, "TYPE_CHANGED"},
		{"json closing the model", JSON, Backward, []string{jsonV1}, jsonClosed, false, "ADDITIONAL_PROPERTIES_REMOVED"},
		{"json opening the model", JSON, Backward, []string{jsonClosed}, jsonV1, true, ""},
		{"json enum grows", JSON, Backward, []string{jsonEnumA}, jsonEnumAB, true, ""},
		{"json enum shrinks", JSON, Backward, []string{jsonEnumAB}, jsonEnumA, false, "ENUM_VALUE_REMOVED"},
		{"json enum grows forward", JSON, Forward, []string{jsonEnumA}, jsonEnumAB, false, "ENUM_VALUE_REMOVED"},

		{"type change across languages", Avro, Backward, nil, avroV1, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var earlier []*parsed
			for _, e := range tc.earlier {
				earlier = append(earlier, mustParse(t, tc.typ, e))
			}
			msgs := checkLevel(tc.level, mustParse(t, tc.typ, tc.next), earlier)
			if ok := len(msgs) == 0; ok != tc.ok {
				t.Fatalf("compatible = %v, want %v; messages: %v", ok, tc.ok, msgs)
			}
			if tc.contains != "" && !strings.Contains(strings.Join(msgs, "\n"), tc.contains) {
				t.Errorf("messages %v do not mention %q", msgs, tc.contains)
			}
		})
	}
}

func TestCompatibilityAcrossTypes(t *testing.T) {
	msgs := checkLevel(Backward, mustParse(t, JSON, jsonV1), []*parsed{mustParse(t, Avro, avroV1)})
	if len(msgs) == 0 || !strings.Contains(msgs[0], "schema type changed") {
		t.Fatalf("messages = %v, want a schema type change", msgs)
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range []struct {
		typ  SchemaType
		text string
	}{
		{Avro, `{"type":"record","name":"x"}`},
		{Avro, `{"type":"recordd","name":"x","fields":[]}`},
		{Avro, `not json`},
		{Protobuf, `syntax = "proto3"; message { }`},
		{Protobuf, `syntax = "proto3"; import "missing.proto"; message A { B b = 1; }`},
		{JSON, `{"type":"objekt"}`},
		{JSON, `{"properties":[]}`},
		{JSON, `[1]`},
		{"XML", `<a/>`},
	} {
		_, err := parseSchema(Schema{Type: tc.typ, Text: tc.text}, nil)
		if err == nil {
			t.Errorf("%s %q parsed, want an invalid-schema error", tc.typ, tc.text)
			continue
		}
		if re, ok := err.(*Error); !ok || re.Code != CodeInvalidSchema {
			t.Errorf("%s %q: error %v, want code %d", tc.typ, tc.text, err, CodeInvalidSchema)
		}
	}
}

func TestCanonicalFormDeterministic(t *testing.T) {
	// Kafka Connect's AvroConverter adds map-valued properties; their key
	// order must not make the same schema look different.
	text := `{"type":"record","name":"R","connect.parameters":{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6"},
"fields":[{"name":"x","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2,"connect.parameters":{"scale":"2","connect.decimal.precision":"10"}}}]}`
	first := mustParse(t, Avro, text).canonical
	for range 50 {
		if got := mustParse(t, Avro, text).canonical; got != first {
			t.Fatalf("canonical form changed between parses:\n%s\n%s", first, got)
		}
	}
}

func TestCanonicalForm(t *testing.T) {
	for _, tc := range []struct {
		typ  SchemaType
		a, b string
		same bool
	}{
		{Avro, avroV1, "{ \"fields\": [ {\"type\": \"long\", \"name\": \"id\"} ], \"name\": \"Order\", \"type\": \"record\" }", true},
		{Avro, `{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":1}]}`,
			`{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":2}]}`, false},
		{Avro, `{"type":"long","logicalType":"timestamp-millis"}`, `"long"`, false},
		{Protobuf, protoV1, "// a comment\nsyntax = \"proto3\";\npackage shop;\n\nmessage Order {\n  int64 id = 1;\n  string note = 2;\n}\n", true},
		{Protobuf, protoV1, protoAdd, false},
		{JSON, jsonV1, `{ "required": ["id"], "properties": {"id": {"type": "integer"}}, "type": "object" }`, true},
		{JSON, jsonV1, jsonNumber, false},
	} {
		a, b := mustParse(t, tc.typ, tc.a), mustParse(t, tc.typ, tc.b)
		if same := a.canonical == b.canonical; same != tc.same {
			t.Errorf("%s: canonical forms equal = %v, want %v:\n%s\n%s", tc.typ, same, tc.same, a.canonical, b.canonical)
		}
	}
}
