package conformance

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/sluicedb/sluice/internal/value"
)

// protobufMediaType is the media type ksqlDB's executor asks /query-stream
// for in tests with testPullWithProtoFormat.
const protobufMediaType = "application/vnd.ksql.v1+protobuf"

// queryProto runs a query through /query-stream asking for protobuf rows,
// and reads the JSON array of StreamedRows it answers.
func (e *restEnv) queryProto(ctx context.Context, sql string, props map[string]any) (int, any, []any, error) {
	qctx, cancel := context.WithTimeout(ctx, restQueryTimeout)
	defer cancel()
	data, err := json.Marshal(map[string]any{"sql": sql, "properties": props})
	if err != nil {
		return 0, nil, nil, err
	}
	req, err := http.NewRequestWithContext(qctx, http.MethodPost, e.base+"/query-stream", bytes.NewReader(data))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", protobufMediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && qctx.Err() == nil {
		return 0, nil, nil, err
	}
	x, err := decodeAny(b)
	if err != nil {
		return resp.StatusCode, string(b), nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, x, nil, nil
	}
	rows, ok := x.([]any)
	if !ok {
		return 0, nil, nil, fmt.Errorf("response is not a JSON array: %s", jsonText(x))
	}
	return resp.StatusCode, nil, rows, nil
}

// matchProtoRows compares protobuf query rows as ksqlDB's executor does:
// the same number of objects, the header's .proto schema, the final
// message, and each row's message printed in protobuf text format, in any
// order unless the test asks for order.
func matchProtoRows(got, want any, ordered bool) error {
	grows, _ := got.([]any)
	wrows, ok := want.([]any)
	if !ok {
		return errors.New("invalid test: queryProto response is not an array")
	}
	if len(grows) != len(wrows) {
		return fmt.Errorf("row count mismatch: expected %d, got %d\n expected %s\n got      %s", len(wrows), len(grows), jsonText(wrows), jsonText(grows))
	}
	var md protoreflect.MessageDescriptor
	for _, w := range wrows {
		if s, ok := field(field(w, "header"), "protoSchema").(string); ok {
			var gs string
			for _, g := range grows {
				if x, ok := field(field(g, "header"), "protoSchema").(string); ok {
					gs = x
				}
			}
			if gs != s {
				return fmt.Errorf("protoSchema: expected %q, got %q", s, gs)
			}
			d, err := compileRowSchema(gs)
			if err != nil {
				return err
			}
			md = d
		}
	}
	var wantText, gotText []string
	var wantFinal, gotFinal []any
	for _, w := range wrows {
		if m, ok := w.(map[string]any); ok {
			if f, ok := m["finalMessage"]; ok {
				wantFinal = append(wantFinal, f)
			} else if r, ok := m["row"].(string); ok {
				wantText = append(wantText, r)
			}
		}
	}
	for _, g := range grows {
		m, _ := g.(map[string]any)
		if f, ok := m["finalMessage"]; ok {
			gotFinal = append(gotFinal, f)
			continue
		}
		enc, ok := field(m["row"], "protobufBytes").(string)
		if !ok {
			continue
		}
		if md == nil {
			return errors.New("row before the header's protoSchema")
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return fmt.Errorf("protobufBytes: %w", err)
		}
		msg := dynamicpb.NewMessage(md)
		if err := proto.Unmarshal(raw, msg); err != nil {
			return fmt.Errorf("protobufBytes: %w", err)
		}
		var b strings.Builder
		printText(&b, msg, "")
		gotText = append(gotText, b.String())
	}
	if !javaEqual(gotFinal, wantFinal) {
		return fmt.Errorf("final message: expected %s, got %s", jsonText(wantFinal), jsonText(gotFinal))
	}
	if !ordered {
		sort.Strings(wantText)
		sort.Strings(gotText)
	}
	if strings.Join(wantText, "\x00") != strings.Join(gotText, "\x00") {
		return fmt.Errorf("rows: expected %q, got %q", wantText, gotText)
	}
	return nil
}

func compileRowSchema(text string) (protoreflect.MessageDescriptor, error) {
	const path = "rows.proto"
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(protocompile.ResolverFunc(
		func(p string) (protocompile.SearchResult, error) {
			if p == path {
				return protocompile.SearchResult{Source: strings.NewReader(text)}, nil
			}
			return protocompile.SearchResult{}, fmt.Errorf("import %q not found", p)
		}))}
	files, err := c.Compile(context.Background(), path)
	if err != nil {
		return nil, fmt.Errorf("protoSchema: %w", err)
	}
	msgs := files[0].Messages()
	if msgs.Len() == 0 {
		return nil, errors.New("protoSchema has no message")
	}
	return msgs.Get(0), nil
}

// printText prints a message as Java's protobuf TextFormat does (the form
// the vectors' rows are written in): set fields in number order, nested
// messages in braces indented by two spaces.
func printText(b *strings.Builder, m protoreflect.Message, indent string) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if !m.Has(fd) {
			continue
		}
		v := m.Get(fd)
		switch {
		case fd.IsList():
			l := v.List()
			for j := 0; j < l.Len(); j++ {
				printField(b, fd, l.Get(j), indent)
			}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				b.WriteString(indent + string(fd.Name()) + " {\n")
				printScalar(b, fd.MapKey(), k.Value(), indent+"  ", "key")
				printField(b, fd.MapValue(), mv, indent+"  ")
				b.WriteString(indent + "}\n")
				return true
			})
		default:
			printField(b, fd, v, indent)
		}
	}
}

func printField(b *strings.Builder, fd protoreflect.FieldDescriptor, v protoreflect.Value, indent string) {
	if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
		b.WriteString(indent + string(fd.Name()) + " {\n")
		printText(b, v.Message(), indent+"  ")
		b.WriteString(indent + "}\n")
		return
	}
	printScalar(b, fd, v, indent, string(fd.Name()))
}

func printScalar(b *strings.Builder, fd protoreflect.FieldDescriptor, v protoreflect.Value, indent, name string) {
	b.WriteString(indent + name + ": ")
	switch fd.Kind() {
	case protoreflect.StringKind:
		b.WriteString(`"` + escapeText([]byte(v.String())) + `"`)
	case protoreflect.BytesKind:
		b.WriteString(`"` + escapeText(v.Bytes()) + `"`)
	case protoreflect.DoubleKind:
		b.WriteString(value.FormatDouble(v.Float()))
	case protoreflect.FloatKind:
		b.WriteString(strconv.FormatFloat(v.Float(), 'g', -1, 32))
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			b.WriteString(string(ev.Name()))
		} else {
			b.WriteString(strconv.Itoa(int(v.Enum())))
		}
	default:
		b.WriteString(v.String())
	}
	b.WriteString("\n")
}

// escapeText escapes bytes as Java's TextFormat.escapeBytes does.
func escapeText(bs []byte) string {
	var b strings.Builder
	for _, c := range bs {
		switch c {
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\v':
			b.WriteString(`\v`)
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(&b, "\\%03o", c)
			}
		}
	}
	return b.String()
}
