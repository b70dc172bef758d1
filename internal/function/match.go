package function

import (
	"fmt"

	"github.com/sluicedb/sluice/internal/types"
)

// Arg describes one argument at a call site. Exactly one of Type, Lambda
// and IntervalUnit is set; a NULL literal has Type types.NullType (or nil
// with neither of the others set).
type Arg struct {
	Type *types.Type
	// Lambda types a lambda argument: given its parameter types (bound
	// from the other arguments) it returns the type of its body. The
	// registry may call it once per candidate overload.
	Lambda LambdaTyper
	// LambdaArity is the number of parameters the lambda declares.
	LambdaArity int
	// IntervalUnit marks a time unit keyword (DAYS, HOURS, ...). At call
	// time its value is a STRING holding the unit's upper-case name, as
	// listed in scalar.IntervalUnits.
	IntervalUnit bool
}

// LambdaTyper type-checks a lambda body under the given parameter types.
type LambdaTyper func(params []*types.Type) (*types.Type, error)

// TypeArgs turns plain argument types into Args.
func TypeArgs(ts []*types.Type) []Arg {
	args := make([]Arg, len(ts))
	for i, t := range ts {
		args[i] = Arg{Type: t}
	}
	return args
}

func (a Arg) isNull() bool {
	return a.Lambda == nil && !a.IntervalUnit && (a.Type == nil || a.Type.Kind == types.Null)
}

// String renders the argument as ksqlDB does in resolution errors: the
// type, "null" for a NULL literal.
func (a Arg) String() string {
	switch {
	case a.Lambda != nil:
		return fmt.Sprintf("LAMBDA(%d)", a.LambdaArity)
	case a.IntervalUnit:
		return "INTERVALUNIT"
	case a.isNull():
		return "null"
	}
	return a.Type.String()
}

// binding is the outcome of matching one signature against the arguments.
type binding struct {
	sig          *Signature
	argTypes     []*types.Type // per argument, after widening
	casts        []*types.Type // per argument: widen to this, or nil
	generics     map[string]*types.Type
	lambdaParams [][]*types.Type
}

// expand lays the parameters out one per argument, or returns nil if the
// argument count cannot fit the signature.
func expand(params []Param, n int) []*Param {
	vi := -1
	for i := range params {
		if params[i].Variadic {
			vi = i
			break
		}
	}
	if vi < 0 {
		if n != len(params) {
			return nil
		}
		out := make([]*Param, n)
		for i := range params {
			out[i] = &params[i]
		}
		return out
	}
	fixed := len(params) - 1
	if n < fixed {
		return nil
	}
	out := make([]*Param, 0, n)
	for i := 0; i < vi; i++ {
		out = append(out, &params[i])
	}
	for i := 0; i < n-fixed; i++ {
		out = append(out, &params[vi])
	}
	for i := vi + 1; i < len(params); i++ {
		out = append(out, &params[i])
	}
	return out
}

// match tries sig against args. Non-lambda arguments bind generics first,
// then each lambda is typed under the bound parameter types, as ksqlDB
// resolves lambda inputs from the other arguments. A lambda that fails to
// type-check yields the error, so the user sees why.
func match(sig *Signature, args []Arg, allowCast bool) (*binding, bool, error) {
	params := expand(sig.Params, len(args))
	if params == nil {
		return nil, false, nil
	}
	b := &binding{
		sig:      sig,
		argTypes: make([]*types.Type, len(args)),
		casts:    make([]*types.Type, len(args)),
		generics: map[string]*types.Type{},
	}
	for i, a := range args {
		p := params[i].Type
		if a.Lambda != nil || p.Kind == PLambda {
			if (a.Lambda != nil) != (p.Kind == PLambda) && !a.isNull() {
				return nil, false, nil
			}
			continue
		}
		if a.IntervalUnit || p.Kind == PIntervalUnit {
			if a.IntervalUnit != (p.Kind == PIntervalUnit) {
				return nil, false, nil
			}
			continue
		}
		if a.isNull() {
			b.argTypes[i] = types.NullType
			continue
		}
		ok, cast := accepts(p, a.Type, b.generics, allowCast)
		if !ok {
			return nil, false, nil
		}
		b.argTypes[i] = a.Type
		if cast != nil {
			b.casts[i] = cast
			b.argTypes[i] = cast
		}
	}
	for i, a := range args {
		p := params[i].Type
		if a.Lambda == nil || p.Kind != PLambda {
			continue
		}
		if a.LambdaArity != len(p.LambdaIn) {
			return nil, false, nil
		}
		in := make([]*types.Type, len(p.LambdaIn))
		for j, lp := range p.LambdaIn {
			in[j] = lp.Bind(b.generics)
			if in[j] == nil {
				// The other arguments were NULL, so nothing says what the
				// lambda receives; it sees NULLs.
				in[j] = types.NullType
			}
		}
		out, err := a.Lambda(in)
		if err != nil {
			return nil, false, err
		}
		if b.lambdaParams == nil {
			b.lambdaParams = make([][]*types.Type, len(args))
		}
		b.lambdaParams[i] = in
		if out != nil && out.Kind != types.Null {
			if ok, _ := accepts(p.Elem, out, b.generics, false); !ok {
				return nil, false, nil
			}
		}
	}
	return b, true, nil
}

// accepts reports whether an argument of type t fits pattern p, binding
// generics in gen. With allowCast, numbers may widen (INT → BIGINT →
// DECIMAL → DOUBLE); cast is then the type to widen to.
func accepts(p *PType, t *types.Type, gen map[string]*types.Type, allowCast bool) (ok bool, cast *types.Type) {
	if t == nil || t.Kind == types.Null {
		return true, nil
	}
	switch p.Kind {
	case PAny:
		return true, nil
	case PGeneric:
		if old, ok := gen[p.Name]; ok && old.Kind != types.Null {
			return old.Equal(t), nil
		}
		gen[p.Name] = t
		return true, nil
	case PArray:
		if t.Kind != types.Array {
			return false, nil
		}
		ok, c := accepts(p.Elem, t.Elem, gen, allowCast)
		if c != nil {
			c = types.ArrayOf(c)
		}
		return ok, c
	case PMap:
		if t.Kind != types.Map {
			return false, nil
		}
		okK, ck := accepts(p.Key, t.Key, gen, allowCast)
		okV, cv := accepts(p.Elem, t.Elem, gen, allowCast)
		if !okK || !okV {
			return false, nil
		}
		if ck != nil || cv != nil {
			if ck == nil {
				ck = t.Key
			}
			if cv == nil {
				cv = t.Elem
			}
			return true, types.MapOf(ck, cv)
		}
		return true, nil
	case PConcrete:
		return acceptsType(p.Type, t, allowCast)
	}
	return false, nil
}

func acceptsType(d, t *types.Type, allowCast bool) (bool, *types.Type) {
	if t.Kind == types.Null {
		return true, nil
	}
	switch {
	case d.Kind == types.Array && t.Kind == types.Array:
		ok, c := acceptsType(d.Elem, t.Elem, allowCast)
		if c != nil {
			c = types.ArrayOf(c)
		}
		return ok, c
	case d.Kind == types.Map && t.Kind == types.Map:
		return accepts(MapP(Of(d.Key), Of(d.Elem)), t, nil, allowCast)
	case d.Kind == types.Struct && t.Kind == types.Struct:
		if len(d.Fields) == 0 || len(t.Fields) == 0 {
			return true, nil
		}
		// Struct fields never widen, as in ksqlDB.
		return d.Equal(t), nil
	case d.Kind == t.Kind:
		return true, nil
	}
	// ksqlDB also lets a STRING stand for a DATE, TIME or TIMESTAMP
	// (SqlBaseType.canImplicitlyCast); the value is parsed at call time.
	if allowCast && t.Kind == types.String && (d.Kind == types.Date || d.Kind == types.Time || d.Kind == types.Timestamp) {
		return true, d
	}
	if allowCast && t.IsNumeric() && d.IsNumeric() && numericRank(t.Kind) < numericRank(d.Kind) {
		if d.Kind == types.Decimal {
			if d.Precision == 0 {
				return true, types.DecimalForInteger(t.Kind)
			}
			return types.CanWiden(t, d), d
		}
		return true, types.Primitive(d.Kind)
	}
	return false, nil
}

func numericRank(k types.Kind) int {
	switch k {
	case types.Int:
		return 1
	case types.Bigint:
		return 2
	case types.Decimal:
		return 3
	case types.Double:
		return 4
	}
	return 0
}

// better orders two matched signatures the way ksqlDB's UdfIndex prefers
// one over another: fixed arity over variadic, then more parameters, then
// fewer generic parameters, then not taking ANY..., then a later variadic
// position. It returns >0 if a is preferred, 0 on a tie.
func better(a, b *Signature) int {
	cmps := [...][2]int{
		{boolInt(!isVariadic(a)), boolInt(!isVariadic(b))},
		{len(a.Params), len(b.Params)},
		{-countGenerics(a), -countGenerics(b)},
		{boolInt(!anyVariadic(a)), boolInt(!anyVariadic(b))},
		{variadicIndex(a), variadicIndex(b)},
	}
	for _, c := range cmps {
		if c[0] != c[1] {
			if c[0] > c[1] {
				return 1
			}
			return -1
		}
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isVariadic(s *Signature) bool { return variadicIndex(s) >= 0 }

func variadicIndex(s *Signature) int {
	for i := range s.Params {
		if s.Params[i].Variadic {
			return i
		}
	}
	return -1
}

func countGenerics(s *Signature) int {
	n := 0
	for i := range s.Params {
		p := s.Params[i]
		if p.Type.HasGenerics() || (p.Variadic && p.Type.Kind == PAny) {
			n++
		}
	}
	return n
}

func anyVariadic(s *Signature) bool {
	for i := range s.Params {
		if s.Params[i].Variadic && s.Params[i].Type.Kind == PAny {
			return true
		}
	}
	return false
}
