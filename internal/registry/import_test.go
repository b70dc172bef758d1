package registry

import (
	"context"
	"errors"
	"testing"
)

// TestImport registers schemas under ids the caller picks, as a registry
// in IMPORT mode does: the id sticks, a clash with another schema fails,
// and ids handed out afterwards continue above the largest.
func TestImport(t *testing.T) {
	ctx := context.Background()
	r := openTestRegistry(t, newTestLog(t))
	id, err := r.Import(ctx, "a-value", Schema{Text: avroV1}, 102)
	if err != nil || id != 102 {
		t.Fatalf("import: id %d, %v; want 102", id, err)
	}
	if s, err := r.SchemaByID(ctx, 102); err != nil || s.Text != avroV1 {
		t.Fatalf("schema 102: %q, %v", s.Text, err)
	}
	// The same schema may be imported again under another id and subject.
	if id, err := r.Import(ctx, "b-value", Schema{Text: avroV1}, 7); err != nil || id != 7 {
		t.Fatalf("second import: id %d, %v; want 7", id, err)
	}
	_, err = r.Import(ctx, "c-value", Schema{Text: `"string"`}, 102)
	var re *Error
	if !errors.As(err, &re) || re.Code != CodeOperationNotPermitted {
		t.Fatalf("import over another schema's id: %v, want code %d", err, CodeOperationNotPermitted)
	}
	if id, err := r.Register(ctx, "c-value", Schema{Text: `"string"`}); err != nil || id != 103 {
		t.Fatalf("register after import: id %d, %v; want 103", id, err)
	}
}

func TestWithImplicitImports(t *testing.T) {
	tests := []struct{ in, want string }{
		{`syntax = "proto3"; message M { int32 a = 1; }`, `syntax = "proto3"; message M { int32 a = 1; }`},
		{`syntax = "proto3"; message M { bytes a = 1 [(confluent.field_meta) = { doc: "x" }]; }`,
			"syntax = \"proto3\";\nimport \"confluent/meta.proto\";\n message M { bytes a = 1 [(confluent.field_meta) = { doc: \"x\" }]; }"},
		{`syntax = "proto3"; import "confluent/meta.proto"; message M { bytes a = 1 [(confluent.field_meta) = { doc: "x" }]; }`,
			`syntax = "proto3"; import "confluent/meta.proto"; message M { bytes a = 1 [(confluent.field_meta) = { doc: "x" }]; }`},
	}
	for _, tc := range tests {
		if got := WithImplicitImports(tc.in); got != tc.want {
			t.Errorf("WithImplicitImports(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	// The registry accepts such a schema, as Confluent's does.
	text := `syntax = "proto3"; import "confluent/type/decimal.proto"; message M { confluent.type.Decimal d = 1 [(confluent.field_meta) = { params: [{ value: "4", key: "precision" }] }]; }`
	if _, err := parseProtobuf(text, nil); err != nil {
		t.Fatalf("compile: %v", err)
	}
}
