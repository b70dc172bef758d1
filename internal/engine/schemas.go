package engine

import (
	"context"
	"fmt"

	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/registry"
)

// SchemaRegistry adapts a registry.Registry to the small interface the
// formats need, resolving schema references to their texts.
func SchemaRegistry(r registry.Registry) format.Registry { return registryAdapter{r: r} }

type registryAdapter struct{ r registry.Registry }

func (a registryAdapter) Register(ctx context.Context, subject string, s format.Schema) (int, error) {
	return a.r.Register(ctx, subject, registry.Schema{Type: registry.SchemaType(s.Type), Text: s.Text})
}

func (a registryAdapter) SchemaByID(ctx context.Context, id int) (format.Schema, error) {
	s, err := a.r.SchemaByID(ctx, id)
	if err != nil {
		return format.Schema{}, err
	}
	return a.convert(ctx, s, 0)
}

func (a registryAdapter) Latest(ctx context.Context, subject string) (int, format.Schema, error) {
	ss, err := a.r.Version(ctx, subject, registry.Latest, false)
	if err != nil {
		return 0, format.Schema{}, err
	}
	s, err := a.convert(ctx, ss.Schema, 0)
	return ss.ID, s, err
}

// convert resolves references recursively; depth bounds reference cycles.
func (a registryAdapter) convert(ctx context.Context, s registry.Schema, depth int) (format.Schema, error) {
	t := string(s.Type)
	if t == "" {
		t = format.SchemaAvro
	}
	out := format.Schema{Type: t, Text: s.Text}
	if len(s.References) == 0 {
		return out, nil
	}
	if depth > 16 {
		return out, fmt.Errorf("schema references nest deeper than 16 levels")
	}
	out.Refs = map[string]string{}
	for _, ref := range s.References {
		ss, err := a.r.Version(ctx, ref.Subject, ref.Version, false)
		if err != nil {
			return out, fmt.Errorf("reference %s (%s v%d): %w", ref.Name, ref.Subject, ref.Version, err)
		}
		sub, err := a.convert(ctx, ss.Schema, depth+1)
		if err != nil {
			return out, err
		}
		out.Refs[ref.Name] = sub.Text
		for k, v := range sub.Refs {
			out.Refs[k] = v
		}
	}
	return out, nil
}
