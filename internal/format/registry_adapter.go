package format

import (
	"context"
	"fmt"

	"github.com/sluicedb/sluice/internal/registry"
)

// FromRegistry adapts Sluice's schema registry (embedded or a client of an
// external one) to the Registry the formats use, resolving each schema's
// references to their texts.
func FromRegistry(r registry.Registry) Registry { return regAdapter{r} }

type regAdapter struct{ r registry.Registry }

func (a regAdapter) Register(ctx context.Context, subject string, s Schema) (int, error) {
	return a.r.Register(ctx, subject, registry.Schema{Type: registry.SchemaType(s.Type), Text: s.Text})
}

func (a regAdapter) SchemaByID(ctx context.Context, id int) (Schema, error) {
	s, err := a.r.SchemaByID(ctx, id)
	if err != nil {
		return Schema{}, err
	}
	return a.resolve(ctx, s)
}

func (a regAdapter) Latest(ctx context.Context, subject string) (int, Schema, error) {
	v, err := a.r.Version(ctx, subject, registry.Latest, false)
	if err != nil {
		return 0, Schema{}, err
	}
	s, err := a.resolve(ctx, v.Schema)
	return v.ID, s, err
}

// resolve collects the texts of s's references, transitively.
func (a regAdapter) resolve(ctx context.Context, s registry.Schema) (Schema, error) {
	out := Schema{Type: string(s.Type.Normalize()), Text: s.Text}
	var walk func(refs []registry.Reference, depth int) error
	walk = func(refs []registry.Reference, depth int) error {
		if depth > 32 {
			return fmt.Errorf("schema references nest too deeply")
		}
		for _, ref := range refs {
			if _, seen := out.Refs[ref.Name]; seen {
				continue
			}
			v, err := a.r.Version(ctx, ref.Subject, ref.Version, false)
			if err != nil {
				return fmt.Errorf("reference %q: %w", ref.Name, err)
			}
			if out.Refs == nil {
				out.Refs = map[string]string{}
			}
			out.Refs[ref.Name] = v.Schema.Text
			if err := walk(v.Schema.References, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(s.References, 0); err != nil {
		return Schema{}, err
	}
	return out, nil
}
