package registry

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
)

// Output formats of ?format=, as Confluent's schema providers name them.
const (
	// formatSerialized is a PROTOBUF schema as a base64 FileDescriptorProto,
	// what Confluent's Protobuf deserializers ask for.
	formatSerialized = "serialized"
	// formatResolved is an AVRO schema with every named type its
	// references define written out in place.
	formatResolved = "resolved"
)

// serializedProtoName is the file name of a schema rendered as a
// descriptor; Confluent's DynamicSchema uses the same. Clients rename the
// file to the reference name they import it by.
const serializedProtoName = "default"

// formatted returns s's text in the form ?format= asks for. Like
// Confluent's registry, an empty or unknown format, or one the schema
// type does not have, leaves the schema as stored (Confluent answers a
// format it cannot apply with the schema's canonical text, which says the
// same thing).
func (h *handler) formatted(ctx context.Context, s Schema, format string) (string, error) {
	format = strings.ToLower(strings.TrimSpace(format))
	switch t := s.Type.Normalize(); {
	case t == Protobuf && format == formatSerialized:
		p, err := compile(ctx, h.reg, s, Protobuf)
		if err != nil {
			return "", err
		}
		fdp := protodesc.ToFileDescriptorProto(p.proto)
		fdp.Name = proto.String(serializedProtoName)
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(fdp)
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(b), nil
	case t == Avro && format == formatResolved:
		// The parsed schema prints each named type in full at its first
		// use, which is Avro's own Schema.toString and the resolved form.
		p, err := compile(ctx, h.reg, s, Avro)
		if err != nil {
			return "", err
		}
		return p.canonical, nil
	}
	return s.Text, nil
}

// page applies Confluent's offset and limit query parameters to a listing:
// offset entries are skipped, and a limit of zero or less means all.
func page[T any](r *http.Request, all []T) []T {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil {
		limit = -1
	}
	if offset > len(all) {
		offset = len(all)
	}
	if offset > 0 {
		all = all[offset:]
	}
	if limit > 0 && limit < len(all) {
		all = all[:limit]
	}
	return all
}

// onlyIn returns the entries of all that are not in live, keeping order:
// the soft-deleted ones, for ?deleted_only=true.
func onlyIn[T comparable](all, live []T) []T {
	drop := make(map[T]bool, len(live))
	for _, v := range live {
		drop[v] = true
	}
	out := make([]T, 0, len(all))
	for _, v := range all {
		if !drop[v] {
			out = append(out, v)
		}
	}
	return out
}
