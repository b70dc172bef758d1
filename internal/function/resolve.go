package function

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sluicedb/sluice/internal/types"
)

func notFound(name string) error {
	return &ResolveError{ErrUnknownFunction, fmt.Sprintf("Can't find any functions with the name '%s'", name)}
}

// Resolved is the outcome of resolving a call: the chosen overload's
// signature bound to the call's argument types.
type Resolved struct {
	Name string // as declared
	Sig  *Signature
	// ArgTypes are the argument types after implicit widening: NullType
	// for a NULL argument, nil at lambda and interval-unit positions.
	ArgTypes []*types.Type
	// Casts holds, per argument, the type the argument is widened to, or
	// nil where it is passed as is. The Call methods widen by themselves;
	// a compiler may instead cast up front and call the implementation.
	Casts []*types.Type
	// Generics are the generic bindings (T → INTEGER).
	Generics map[string]*types.Type
	// LambdaParams holds, at each lambda argument's position, the types
	// its parameters receive.
	LambdaParams [][]*types.Type
	Return       *types.Type
	hasCasts     bool
}

// resolve picks the best overload among sigs, first without implicit casts
// and then with them, as UdfIndex.getFunction does.
func resolve(name string, sigs []*Signature, args []Arg, display func() string) (int, *Resolved, error) {
	for _, allowCast := range []bool{false, true} {
		best, second := -1, -1
		var bestB *binding
		for i, s := range sigs {
			b, ok, err := match(s, args, allowCast)
			if err != nil {
				return -1, nil, err
			}
			if !ok {
				continue
			}
			switch {
			case best < 0:
				best, bestB = i, b
			case better(s, sigs[best]) > 0:
				best, second, bestB = i, best, b
			case second < 0 || better(s, sigs[second]) > 0:
				second = i
			}
		}
		if best < 0 {
			continue
		}
		if second >= 0 && better(sigs[best], sigs[second]) == 0 {
			return -1, nil, &ResolveError{ErrAmbiguous, fmt.Sprintf(
				"Function '%s' cannot be resolved due to ambiguous method parameters %s.\n"+
					"Use CAST() to explicitly cast your parameters to one of the supported function calls.\n"+
					"Valid function calls are:\n%s\n"+
					"For detailed information on a function run: DESCRIBE FUNCTION <Function-Name>;",
				name, argList(args), display())}
		}
		res, err := bestB.resolved(name)
		if err != nil {
			return -1, nil, err
		}
		return best, res, nil
	}
	return -1, nil, &ResolveError{ErrNoMatch, fmt.Sprintf(
		"Function '%s' does not accept parameters %s.\nValid alternatives are:\n%s\n"+
			"For detailed information on a function run: DESCRIBE FUNCTION <Function-Name>;",
		name, argList(args), display())}
}

func (b *binding) resolved(name string) (*Resolved, error) {
	res := &Resolved{
		Name:         name,
		Sig:          b.sig,
		ArgTypes:     b.argTypes,
		Casts:        b.casts,
		Generics:     b.generics,
		LambdaParams: b.lambdaParams,
	}
	for _, c := range b.casts {
		if c != nil {
			res.hasCasts = true
		}
	}
	var err error
	switch {
	case b.sig.ReturnFn != nil:
		res.Return, err = b.sig.ReturnFn(b.argTypes, b.generics)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", name, err)
		}
	case b.sig.Return != nil:
		res.Return = b.sig.Return.Bind(b.generics)
	}
	if res.Return == nil {
		return nil, &ResolveError{ErrNoMatch, fmt.Sprintf(
			"Function '%s' cannot infer its return type from parameters %s; cast NULL arguments to a type", name, typeList(b.argTypes))}
	}
	return res, nil
}

func argList(args []Arg) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func typeList(ts []*types.Type) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		if t == nil {
			parts[i] = "?"
		} else {
			parts[i] = t.String()
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// paramList renders declared parameters as ksqlDB's "Valid alternatives"
// do: "ARRAY<T> list", "INTEGER... values".
func paramList(ps []Param) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		s := p.Type.String()
		if p.Variadic {
			s += "..."
		}
		if p.Name != "" {
			s += " " + p.Name
		}
		parts[i] = s
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func signatures(name string, sigs []*Signature) func() string {
	return func() string {
		lines := make([]string, len(sigs))
		for i, s := range sigs {
			lines[i] = name + paramList(s.Params)
		}
		sort.Strings(lines)
		return strings.Join(lines, "\n")
	}
}

// ResolvedScalar is a scalar call resolved to one overload.
type ResolvedScalar struct {
	*Resolved
	Func     *ScalarFunction
	Overload *ScalarOverload
	// Impl is the implementation for this call site: Overload.Fn, or what
	// Overload.Specialize built. Nil for lambda overloads.
	Impl ScalarFn
}

// ResolveScalar resolves a call whose arguments are all plain values.
func (r *Registry) ResolveScalar(name string, argTypes []*types.Type) (*ResolvedScalar, error) {
	return r.ResolveScalarArgs(name, TypeArgs(argTypes))
}

// ResolveScalarArgs resolves a call that may pass lambdas or interval units.
func (r *Registry) ResolveScalarArgs(name string, args []Arg) (*ResolvedScalar, error) {
	f := r.Scalar(name)
	if f == nil {
		return nil, notFound(name)
	}
	sigs := make([]*Signature, len(f.Overloads))
	for i, o := range f.Overloads {
		sigs[i] = &o.Signature
	}
	i, res, err := resolve(f.Name, sigs, args, signatures(f.Name, sigs))
	if err != nil {
		return nil, err
	}
	o := f.Overloads[i]
	if o.Specialize != nil {
		fn, err := o.Specialize(res.ArgTypes, res.Return)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", f.Name, err)
		}
		// Hand out a copy whose Fn is the specialised implementation, so
		// callers that invoke Overload.Fn directly get it too.
		spec := *o
		spec.Fn, spec.Specialize = fn, nil
		o = &spec
	}
	return &ResolvedScalar{Resolved: res, Func: f, Overload: o, Impl: o.Fn}, nil
}

// ResolvedTable is a table function call resolved to one overload.
type ResolvedTable struct {
	*Resolved
	Func     *TableFunction
	Overload *TableOverload
}

// ResolveTable resolves a table function call.
func (r *Registry) ResolveTable(name string, argTypes []*types.Type) (*ResolvedTable, error) {
	return r.ResolveTableArgs(name, TypeArgs(argTypes))
}

// ResolveTableArgs is ResolveTable for arguments that may be lambdas.
func (r *Registry) ResolveTableArgs(name string, args []Arg) (*ResolvedTable, error) {
	f := r.Table(name)
	if f == nil {
		return nil, notFound(name)
	}
	sigs := make([]*Signature, len(f.Overloads))
	for i, o := range f.Overloads {
		sigs[i] = &o.Signature
	}
	i, res, err := resolve(f.Name, sigs, args, signatures(f.Name, sigs))
	if err != nil {
		return nil, err
	}
	return &ResolvedTable{Resolved: res, Func: f, Overload: f.Overloads[i]}, nil
}

// ResolvedAggregate is an aggregate call resolved to one overload.
type ResolvedAggregate struct {
	*Resolved
	Func     *AggregateFunction
	Overload *AggregateOverload
}

// ResolveAggregate resolves an aggregate call; argTypes covers the column
// arguments and then the literal initial arguments.
func (r *Registry) ResolveAggregate(name string, argTypes []*types.Type) (*ResolvedAggregate, error) {
	f := r.Aggregate(name)
	if f == nil {
		return nil, notFound(name)
	}
	sigs := make([]*Signature, len(f.Overloads))
	for i, o := range f.Overloads {
		sigs[i] = &o.Signature
	}
	i, res, err := resolve(f.Name, sigs, TypeArgs(argTypes), signatures(f.Name, sigs))
	if err != nil {
		return nil, err
	}
	return &ResolvedAggregate{Resolved: res, Func: f, Overload: f.Overloads[i]}, nil
}

// InitParams reports, per argument, whether it must be a literal whose
// value goes to the factory (TOPK's k), so the planner can check it.
func (r *ResolvedAggregate) InitParams() []bool {
	params := expand(r.Sig.Params, len(r.ArgTypes))
	out := make([]bool, len(params))
	for i, p := range params {
		out[i] = p.Init
	}
	return out
}
