package function

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Error kinds, for errors.Is. The messages themselves follow ksqlDB's
// wording, which conformance vectors match.
var (
	ErrUnknownFunction = errors.New("unknown function")
	ErrNoMatch         = errors.New("no matching overload")
	ErrAmbiguous       = errors.New("ambiguous overload")
	ErrDuplicate       = errors.New("duplicate function")
)

// ResolveError carries one of the kinds above and ksqlDB's message.
type ResolveError struct {
	Kind error
	Msg  string
}

func (e *ResolveError) Error() string { return e.Msg }
func (e *ResolveError) Unwrap() error { return e.Kind }

// Registry holds functions by case-insensitive name. It has no global
// instance: create one with NewRegistry and register families into it.
// It is safe for concurrent use; registration normally finishes before
// queries start, but users may add functions while the server runs.
type Registry struct {
	mu     sync.RWMutex
	scalar map[string]*ScalarFunction
	table  map[string]*TableFunction
	agg    map[string]*AggregateFunction
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		scalar: map[string]*ScalarFunction{},
		table:  map[string]*TableFunction{},
		agg:    map[string]*AggregateFunction{},
	}
}

func key(name string) string { return strings.ToUpper(name) }

// kindOf reports the kind registered under name; the caller holds mu.
func (r *Registry) kindOf(k string) (Kind, bool) {
	if _, ok := r.scalar[k]; ok {
		return Scalar, true
	}
	if _, ok := r.table[k]; ok {
		return Table, true
	}
	if _, ok := r.agg[k]; ok {
		return Aggregate, true
	}
	return 0, false
}

func fillInfo(in *Info) {
	if in.Author == "" {
		in.Author = ConfluentAuthor
	}
	if in.Path == "" {
		in.Path = "internal"
	}
	if in.Category == "" {
		in.Category = CategoryOther
	}
}

func checkNew(kind Kind, have Kind, exists bool, name string) error {
	if exists && have != kind {
		return &ResolveError{ErrDuplicate, fmt.Sprintf("function %s already exists as a %s function", name, strings.ToLower(have.String()))}
	}
	return nil
}

func sameParams(a, b []Param) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Variadic != b[i].Variadic || a[i].Type.String() != b[i].Type.String() {
			return false
		}
	}
	return true
}

// checkOverlap rejects an overload of add whose parameters match one
// already registered in have.
func checkOverlap[O any](name string, add, have []O, params func(O) []Param) error {
	for _, o := range add {
		for _, e := range have {
			if sameParams(params(o), params(e)) {
				return dupErr(name, params(o))
			}
		}
	}
	return nil
}

func dupErr(name string, p []Param) error {
	return &ResolveError{ErrDuplicate, fmt.Sprintf("Can't add function %s with parameters %s as a function with the same name and parameter types already exists", name, paramList(p))}
}

// RegisterScalar adds f, or adds its overloads to a scalar function of the
// same name. An overload whose parameter types repeat an existing one is
// an error, as in ksqlDB.
func (r *Registry) RegisterScalar(f *ScalarFunction) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := key(f.Name)
	have, exists := r.kindOf(k)
	if err := checkNew(Scalar, have, exists, f.Name); err != nil {
		return err
	}
	for _, o := range f.Overloads {
		if o.Fn == nil && o.LambdaFn == nil && o.Specialize == nil {
			return fmt.Errorf("function %s: overload %s has no implementation", f.Name, paramList(o.Params))
		}
	}
	old := r.scalar[k]
	if old == nil {
		fillInfo(&f.Info)
		r.scalar[k] = f
		return nil
	}
	if err := checkOverlap(f.Name, f.Overloads, old.Overloads, func(o *ScalarOverload) []Param { return o.Params }); err != nil {
		return err
	}
	merged := *old
	merged.Overloads = append(append([]*ScalarOverload(nil), old.Overloads...), f.Overloads...)
	r.scalar[k] = &merged
	return nil
}

// RegisterTable adds a table function, merging overloads like RegisterScalar.
func (r *Registry) RegisterTable(f *TableFunction) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := key(f.Name)
	have, exists := r.kindOf(k)
	if err := checkNew(Table, have, exists, f.Name); err != nil {
		return err
	}
	old := r.table[k]
	if old == nil {
		fillInfo(&f.Info)
		r.table[k] = f
		return nil
	}
	if err := checkOverlap(f.Name, f.Overloads, old.Overloads, func(o *TableOverload) []Param { return o.Params }); err != nil {
		return err
	}
	merged := *old
	merged.Overloads = append(append([]*TableOverload(nil), old.Overloads...), f.Overloads...)
	r.table[k] = &merged
	return nil
}

// RegisterAggregate adds an aggregate function, merging overloads like
// RegisterScalar.
func (r *Registry) RegisterAggregate(f *AggregateFunction) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := key(f.Name)
	have, exists := r.kindOf(k)
	if err := checkNew(Aggregate, have, exists, f.Name); err != nil {
		return err
	}
	old := r.agg[k]
	if old == nil {
		fillInfo(&f.Info)
		r.agg[k] = f
		return nil
	}
	if err := checkOverlap(f.Name, f.Overloads, old.Overloads, func(o *AggregateOverload) []Param { return o.Params }); err != nil {
		return err
	}
	merged := *old
	merged.Overloads = append(append([]*AggregateOverload(nil), old.Overloads...), f.Overloads...)
	r.agg[k] = &merged
	return nil
}

// KindOf reports whether name is a function and of which kind, so the
// planner can tell an aggregate call from a scalar one.
func (r *Registry) KindOf(name string) (Kind, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.kindOf(key(name))
}

// Scalar returns the scalar function named name, or nil.
func (r *Registry) Scalar(name string) *ScalarFunction {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.scalar[key(name)]
}

// Table returns the table function named name, or nil.
func (r *Registry) Table(name string) *TableFunction {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.table[key(name)]
}

// Aggregate returns the aggregate function named name, or nil.
func (r *Registry) Aggregate(name string) *AggregateFunction {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.agg[key(name)]
}
