package registry

import (
	"context"
	"fmt"

	"github.com/hamba/avro/v2"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The helpers below let the format package turn a registered schema into
// something it can encode and decode with, resolving the schema's
// references through any Registry.

// registryDeps fetches s's references from reg, transitively.
func registryDeps(ctx context.Context, reg Registry, s Schema) ([]dependency, error) {
	return collectDeps(s, func(ref Reference) (Schema, error) {
		v, err := reg.Version(ctx, ref.Subject, ref.Version, false)
		if err != nil {
			return Schema{}, fmt.Errorf("reference %q: %w", ref.Name, err)
		}
		return v.Schema, nil
	})
}

func compile(ctx context.Context, reg Registry, s Schema, want SchemaType) (*parsed, error) {
	if got := s.Type.Normalize(); got != want {
		return nil, newError(CodeInvalidSchema, "Invalid schema: want a %s schema, got %s", want, got)
	}
	deps, err := registryDeps(ctx, reg, s)
	if err != nil {
		return nil, err
	}
	return parseSchema(s, deps)
}

// AvroSchema parses an Avro schema, with the named types its references
// define.
func AvroSchema(ctx context.Context, reg Registry, s Schema) (avro.Schema, error) {
	p, err := compile(ctx, reg, s, Avro)
	if err != nil {
		return nil, err
	}
	return p.avro, nil
}

// ProtobufFile compiles a Protobuf schema with the files its references
// provide.
func ProtobufFile(ctx context.Context, reg Registry, s Schema) (protoreflect.FileDescriptor, error) {
	p, err := compile(ctx, reg, s, Protobuf)
	if err != nil {
		return nil, err
	}
	return p.proto, nil
}

// MessageIndexes returns the path Confluent's wire format uses to name md
// within its file: the index of the top-level message, then the index of
// each nested message down to md.
func MessageIndexes(md protoreflect.MessageDescriptor) []int {
	var rev []int
	for d := protoreflect.Descriptor(md); ; {
		rev = append(rev, d.Index())
		parent, ok := d.Parent().(protoreflect.MessageDescriptor)
		if !ok {
			break
		}
		d = parent
	}
	out := make([]int, len(rev))
	for i, v := range rev {
		out[len(rev)-1-i] = v
	}
	return out
}

// MessageForIndexes finds the message a message-index path names in fd.
func MessageForIndexes(fd protoreflect.FileDescriptor, indexes []int) (protoreflect.MessageDescriptor, error) {
	if len(indexes) == 0 {
		indexes = []int{0}
	}
	msgs := fd.Messages()
	var md protoreflect.MessageDescriptor
	for depth, i := range indexes {
		if i < 0 || i >= msgs.Len() {
			return nil, fmt.Errorf("message index %v: no message %d at depth %d of %s: %w", indexes, i, depth, fd.Path(), ErrMessageIndex)
		}
		md = msgs.Get(i)
		msgs = md.Messages()
	}
	return md, nil
}
