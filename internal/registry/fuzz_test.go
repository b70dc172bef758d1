package registry

import (
	"testing"
)

// FuzzParseSchema feeds arbitrary text to every schema parser: whatever it
// is, the answer is a schema or an invalid-schema error, never a panic, and
// parsing is deterministic.
func FuzzParseSchema(f *testing.F) {
	for _, s := range []string{avroV1, avroOptional, protoV1, protoOneof, jsonV1, jsonEnumA, `"int"`, `{"type":"array","items":"long"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, typ := range []SchemaType{Avro, Protobuf, JSON} {
			p, err := parseSchema(Schema{Type: typ, Text: text}, nil)
			if err != nil {
				if re, ok := err.(*Error); !ok || re.Code != CodeInvalidSchema {
					t.Fatalf("%s: error %v is not an invalid-schema error", typ, err)
				}
				continue
			}
			again, err := parseSchema(Schema{Type: typ, Text: text}, nil)
			if err != nil || again.canonical != p.canonical {
				t.Fatalf("%s: second parse differs: %v", typ, err)
			}
		}
	})
}
