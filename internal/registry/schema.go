package registry

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/hamba/avro/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// parsed is a validated schema: its canonical text, used to find identical
// schemas, and the parsed form the compatibility rules work on.
type parsed struct {
	typ       SchemaType
	canonical string
	avro      avro.Schema
	proto     protoreflect.FileDescriptor
	json      any
}

// dependency is one schema reached through references, named the way the
// referring schema names it.
type dependency struct {
	name   string
	schema Schema
}

// resolveFunc returns the schema a reference points to.
type resolveFunc func(ref Reference) (Schema, error)

// collectDeps walks s's references depth first and returns every schema they
// reach, each after its own dependencies, so they can be parsed in order.
func collectDeps(s Schema, resolve resolveFunc) ([]dependency, error) {
	var (
		out  []dependency
		seen = map[string]bool{}
		walk func(refs []Reference, depth int) error
	)
	walk = func(refs []Reference, depth int) error {
		if depth > 32 {
			return errors.New("references nest too deeply")
		}
		for _, ref := range refs {
			if seen[ref.Name] {
				continue
			}
			seen[ref.Name] = true
			dep, err := resolve(ref)
			if err != nil {
				return err
			}
			if err := walk(dep.References, depth+1); err != nil {
				return err
			}
			out = append(out, dependency{name: ref.Name, schema: dep})
		}
		return nil
	}
	if err := walk(s.References, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// parseSchema validates s with its dependencies and computes its canonical
// form. Errors are ErrInvalidSchema.
func parseSchema(s Schema, deps []dependency) (p *parsed, err error) {
	// The parsers are third-party code fed with user input, and hamba/avro
	// is known to panic on some malformed schemas (an empty union with a
	// default); a bad schema must be a 42201, not a crashed server.
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, invalidSchema(fmt.Errorf("%v", r))
		}
	}()
	switch t := s.Type.Normalize(); t {
	case Avro:
		p, err = parseAvro(s.Text, deps)
	case Protobuf:
		p, err = parseProtobuf(s.Text, deps)
	case JSON:
		p, err = parseJSONSchema(s.Text, deps)
	default:
		return nil, newError(CodeInvalidSchema, "Invalid schema type %s", s.Type)
	}
	if err != nil {
		return nil, invalidSchema(err)
	}
	return p, nil
}

// parseAvro parses dependencies into a private cache first so the main
// schema can name their types. A fresh cache per parse matters: hamba's
// package-level cache would let one subject's definitions leak into another.
func parseAvro(text string, deps []dependency) (*parsed, error) {
	cache := &avro.SchemaCache{}
	for _, d := range deps {
		if _, err := avro.ParseWithCache(d.schema.Text, "", cache); err != nil {
			return nil, fmt.Errorf("reference %q: %w", d.name, err)
		}
	}
	sch, err := avro.ParseWithCache(text, "", cache)
	if err != nil {
		return nil, err
	}
	// Confluent dedups on Avro's full JSON form (Schema.toString), not the
	// parsing canonical form, which drops defaults, docs and aliases: two
	// schemas that differ only in a default must get different ids.
	b, err := json.Marshal(sch)
	if err != nil {
		return nil, fmt.Errorf("canonicalise: %w", err)
	}
	return &parsed{typ: Avro, canonical: string(b), avro: sch}, nil
}

// protoRootFile is the name the schema being parsed is compiled under; the
// dependencies use their reference names, which are import paths.
const protoRootFile = "__sluice_schema__.proto"

func parseProtobuf(text string, deps []dependency) (*parsed, error) {
	files := make(map[string]protocompile.SearchResult, len(deps)+len(builtinProtos)+1)
	for name, src := range builtinProtos {
		files[name] = protocompile.SearchResult{Source: strings.NewReader(src)}
	}
	for _, d := range deps {
		files[d.name] = ProtoSearchResult(d.name, d.schema.Text)
	}
	files[protoRootFile] = ProtoSearchResult(protoRootFile, WithImplicitImports(text))
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(protocompile.ResolverFunc(
			func(path string) (protocompile.SearchResult, error) {
				r, ok := files[path]
				if !ok {
					return protocompile.SearchResult{}, fmt.Errorf("import %q: %w", path, protoregistry.NotFound)
				}
				return r, nil
			})),
	}
	compiled, err := c.Compile(context.Background(), protoRootFile)
	if err != nil {
		return nil, err
	}
	fd := compiled[0]
	// The descriptor, not the text, is canonical: comments, whitespace and
	// option spelling do not make a schema different.
	fdp := protodesc.ToFileDescriptorProto(fd)
	fdp.Name = nil
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(fdp)
	if err != nil {
		return nil, fmt.Errorf("canonicalise: %w", err)
	}
	return &parsed{typ: Protobuf, canonical: base64.StdEncoding.EncodeToString(b), proto: fd}, nil
}

// ProtoSearchResult is a Protobuf schema as protocompile reads a file at
// path: .proto text or, as Confluent also accepts (and its serializers
// register), a base64-encoded FileDescriptorProto, renamed to path.
func ProtoSearchResult(path, text string) protocompile.SearchResult {
	t := strings.TrimSpace(text)
	if t != "" && !strings.ContainsAny(t, " \n\t;{") {
		if raw, err := base64.StdEncoding.DecodeString(t); err == nil {
			var fdp descriptorpb.FileDescriptorProto
			err := proto.Unmarshal(raw, &fdp)
			if err == nil && (fdp.GetSyntax() != "" || len(fdp.GetMessageType()) > 0) {
				fdp.Name = proto.String(path)
				return protocompile.SearchResult{Proto: &fdp}
			}
		}
	}
	return protocompile.SearchResult{Source: strings.NewReader(text)}
}

func parseJSONSchema(text string, deps []dependency) (*parsed, error) {
	for _, d := range deps {
		if _, err := decodeJSON(d.schema.Text); err != nil {
			return nil, fmt.Errorf("reference %q: %w", d.name, err)
		}
	}
	v, err := decodeJSON(text)
	if err != nil {
		return nil, err
	}
	if err := validateJSONSchema(v, "#"); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v) // map keys come out sorted: a canonical form
	if err != nil {
		return nil, fmt.Errorf("canonicalise: %w", err)
	}
	return &parsed{typ: JSON, canonical: string(b), json: v}, nil
}

func decodeJSON(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("parse JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("parse JSON: trailing data after the schema")
	}
	return v, nil
}

var jsonTypes = map[string]bool{
	"null": true, "boolean": true, "object": true, "array": true,
	"number": true, "string": true, "integer": true,
}

// validateJSONSchema checks the keywords Sluice relies on; it is not a full
// meta-schema validation.
func validateJSONSchema(v any, path string) error {
	switch s := v.(type) {
	case bool:
		return nil
	case map[string]any:
		if t, ok := s["type"]; ok {
			if err := validateJSONType(t, path); err != nil {
				return err
			}
		}
		if props, ok := s["properties"]; ok {
			m, ok := props.(map[string]any)
			if !ok {
				return fmt.Errorf("%s/properties: must be an object", path)
			}
			for name, sub := range m {
				if err := validateJSONSchema(sub, path+"/properties/"+name); err != nil {
					return err
				}
			}
		}
		if req, ok := s["required"]; ok {
			arr, ok := req.([]any)
			if !ok {
				return fmt.Errorf("%s/required: must be an array", path)
			}
			for _, r := range arr {
				if _, ok := r.(string); !ok {
					return fmt.Errorf("%s/required: entries must be strings", path)
				}
			}
		}
		for _, kw := range []string{"items", "additionalProperties", "not"} {
			if sub, ok := s[kw]; ok {
				if arr, isArr := sub.([]any); isArr && kw == "items" {
					for i, it := range arr {
						if err := validateJSONSchema(it, path+"/items/"+strconv.Itoa(i)); err != nil {
							return err
						}
					}
					continue
				}
				if err := validateJSONSchema(sub, path+"/"+kw); err != nil {
					return err
				}
			}
		}
		for _, kw := range []string{"oneOf", "anyOf", "allOf"} {
			if sub, ok := s[kw]; ok {
				arr, ok := sub.([]any)
				if !ok {
					return fmt.Errorf("%s/%s: must be an array", path, kw)
				}
				for i, it := range arr {
					if err := validateJSONSchema(it, path+"/"+kw+"/"+strconv.Itoa(i)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	return fmt.Errorf("%s: a schema must be an object or a boolean", path)
}

func validateJSONType(t any, path string) error {
	switch tt := t.(type) {
	case string:
		if !jsonTypes[tt] {
			return fmt.Errorf("%s/type: unknown type %q", path, tt)
		}
		return nil
	case []any:
		for _, e := range tt {
			s, ok := e.(string)
			if !ok || !jsonTypes[s] {
				return fmt.Errorf("%s/type: unknown type %v", path, e)
			}
		}
		return nil
	}
	return fmt.Errorf("%s/type: must be a string or an array", path)
}

// identityKey is what makes two registrations the same schema: type,
// canonical text and references.
func identityKey(p *parsed, refs []Reference) string {
	var b bytes.Buffer
	b.WriteString(string(p.typ))
	b.WriteByte(0)
	b.WriteString(p.canonical)
	rs := append([]Reference(nil), refs...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].Name < rs[j].Name })
	for _, r := range rs {
		fmt.Fprintf(&b, "\x00%s\x00%s\x00%d", r.Name, r.Subject, r.Version)
	}
	return b.String()
}
