package registry

import "regexp"

// builtinProtos are the imports Confluent's Protobuf support resolves
// without a reference, beyond google/protobuf/*.proto (which protocompile
// provides). ksqlDB's Protobuf converter uses the decimal, date and time
// types, so schemas it writes import them. The definitions are the minimal
// shapes those files declare.
var builtinProtos = map[string]string{
	"confluent/meta.proto": `syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
option java_package = "io.confluent.protobuf";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}
extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
`,
	"confluent/type/decimal.proto": `syntax = "proto3";
package confluent.type;
option java_package = "io.confluent.protobuf.type";
message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
`,
	"google/type/date.proto": `syntax = "proto3";
package google.type;
message Date {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
}
`,
	"google/type/timeofday.proto": `syntax = "proto3";
package google.type;
message TimeOfDay {
  int32 hours = 1;
  int32 minutes = 2;
  int32 seconds = 3;
  int32 nanos = 4;
}
`,
}

var (
	protoMetaOption = regexp.MustCompile(`\(\s*confluent\s*\.\s*\w+_meta\s*\)`)
	protoMetaImport = regexp.MustCompile(`import\s+(public\s+|weak\s+)?"confluent/meta\.proto"`)
	protoSyntax     = regexp.MustCompile(`syntax\s*=\s*["']proto[23]["']\s*;`)
)

// WithImplicitImports returns a Protobuf schema's text with the import of
// confluent/meta.proto added when the text uses Confluent's meta options
// (confluent.field_meta, ...) without importing them. Confluent's registry
// parses such schemas, since its parser leaves custom options unresolved,
// and ksqlDB's vectors register them; a compiler that resolves options
// needs the import.
func WithImplicitImports(text string) string {
	if !protoMetaOption.MatchString(text) || protoMetaImport.MatchString(text) {
		return text
	}
	const imp = "\nimport \"confluent/meta.proto\";\n"
	if loc := protoSyntax.FindStringIndex(text); loc != nil {
		return text[:loc[1]] + imp + text[loc[1]:]
	}
	return imp + text
}
