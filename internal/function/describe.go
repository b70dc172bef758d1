package function

import (
	"sort"
)

// Summary is one line of SHOW FUNCTIONS.
type Summary struct {
	Name     string
	Kind     Kind
	Category string
}

// List returns every function, ordered by upper-case name as SHOW
// FUNCTIONS prints them.
func (r *Registry) List() []Summary {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Summary, 0, len(r.scalar)+len(r.table)+len(r.agg))
	for k, f := range r.scalar {
		out = append(out, Summary{Name: k, Kind: Scalar, Category: f.Category})
	}
	for k, f := range r.table {
		out = append(out, Summary{Name: k, Kind: Table, Category: f.Category})
	}
	for k, f := range r.agg {
		out = append(out, Summary{Name: k, Kind: Aggregate, Category: f.Category})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ArgDoc describes one parameter in DESCRIBE FUNCTION.
type ArgDoc struct {
	Name        string
	Type        string // for a variadic parameter, the element type
	Description string
	IsVariadic  bool
}

// Variation describes one overload in DESCRIBE FUNCTION.
type Variation struct {
	Args        []ArgDoc
	ReturnType  string
	Description string
}

// Description is the whole of DESCRIBE FUNCTION.
type Description struct {
	Info
	Kind       Kind
	Variations []Variation
}

func variation(s *Signature, returnDoc string) Variation {
	v := Variation{Description: s.Description, ReturnType: returnDoc}
	if v.ReturnType == "" && s.Return != nil {
		v.ReturnType = s.Return.String()
	}
	for _, p := range s.Params {
		v.Args = append(v.Args, ArgDoc{Name: p.Name, Type: p.Type.String(), Description: p.Description, IsVariadic: p.Variadic})
	}
	return v
}

// Describe returns the metadata of the function named name.
func (r *Registry) Describe(name string) (*Description, error) {
	if f := r.Scalar(name); f != nil {
		d := &Description{Info: f.Info, Kind: Scalar}
		for _, o := range f.Overloads {
			d.Variations = append(d.Variations, variation(&o.Signature, o.ReturnDoc))
		}
		return d, nil
	}
	if f := r.Table(name); f != nil {
		d := &Description{Info: f.Info, Kind: Table}
		for _, o := range f.Overloads {
			d.Variations = append(d.Variations, variation(&o.Signature, o.ReturnDoc))
		}
		return d, nil
	}
	if f := r.Aggregate(name); f != nil {
		d := &Description{Info: f.Info, Kind: Aggregate}
		for _, o := range f.Overloads {
			d.Variations = append(d.Variations, variation(&o.Signature, o.ReturnDoc))
		}
		return d, nil
	}
	return nil, notFound(name)
}
