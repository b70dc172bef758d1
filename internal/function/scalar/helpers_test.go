package scalar_test

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/scalar"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func newRegistry(t testing.TB) *function.Registry {
	t.Helper()
	r := function.NewRegistry()
	if err := scalar.Register(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// typed pairs a value with an explicit SQL type, for arguments whose type
// cannot be read off the value (struct field names, empty arrays).
type typed struct {
	v value.Value
	t *types.Type
}

// typeOf infers a value's SQL type for resolution.
func typeOf(v value.Value) *types.Type {
	switch v.Kind() {
	case types.Decimal:
		digits := len(strings.TrimLeft(new(big.Int).Abs(v.Unscaled()).String(), "0"))
		p := max(digits, int(v.Scale()), 1)
		return types.MustDecimal(p, int(v.Scale()))
	case types.Array:
		for _, e := range v.Elems() {
			if !e.IsNull() {
				return types.ArrayOf(typeOf(e))
			}
		}
		return types.ArrayOf(types.StringType)
	case types.Map:
		for _, e := range v.Entries() {
			if !e.Val.IsNull() {
				return types.MapOf(typeOf(e.Key), typeOf(e.Val))
			}
		}
		return types.MapOf(types.StringType, types.StringType)
	case types.Struct:
		var fs []types.Field
		for i, e := range v.Elems() {
			fs = append(fs, types.Field{Name: string(rune('A' + i)), Type: typeOf(e)})
		}
		return types.StructOf(fs...)
	}
	return types.Primitive(v.Kind())
}

// call resolves name against the arguments' types and invokes it.
func call(t testing.TB, r *function.Registry, name string, args ...any) (value.Value, error) {
	t.Helper()
	vals := make([]value.Value, len(args))
	ts := make([]*types.Type, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case typed:
			vals[i], ts[i] = a.v, a.t
		case value.Value:
			vals[i], ts[i] = a, typeOf(a)
		default:
			t.Fatalf("bad arg %T", a)
		}
	}
	res, err := r.ResolveScalar(name, ts)
	if err != nil {
		return value.Null, err
	}
	return res.Call(vals, nil)
}

// Shorthands.
func i32(n int32) value.Value   { return value.Int(n) }
func i64(n int64) value.Value   { return value.Bigint(n) }
func f64(f float64) value.Value { return value.Double(f) }
func str(s string) value.Value  { return value.String(s) }
func dec(s string) value.Value {
	scale := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		scale = len(s) - i - 1
		s = s[:i] + s[i+1:]
	}
	u, _ := new(big.Int).SetString(s, 10)
	return value.DecimalBig(u, int32(scale))
}
func arr(vs ...value.Value) value.Value { return value.Array(vs) }
func strs(ss ...string) value.Value {
	out := make([]value.Value, len(ss))
	for i, s := range ss {
		out[i] = value.String(s)
	}
	return value.Array(out)
}

var null = value.Null

func nullOf(t *types.Type) typed { return typed{value.Null, t} }

// render prints a result for comparison: strings quoted inside compound
// values, decimals with their scale, "ERR" for an error.
func render(v value.Value, err error) string {
	if err != nil {
		return "ERR: " + err.Error()
	}
	if v.Kind() == types.Double {
		return value.FormatDouble(v.Double())
	}
	return v.String()
}

type tcase struct {
	fn   string
	args []any
	want string // rendered result; "ERR" matches any error, "ERR: x" an error containing x
}

func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	r := newRegistry(t)
	for _, tc := range cases {
		got := render(call(t, r, tc.fn, tc.args...))
		if strings.HasPrefix(tc.want, "ERR") && strings.HasPrefix(got, "ERR") && strings.Contains(got, strings.TrimPrefix(strings.TrimPrefix(tc.want, "ERR"), ": ")) {
			continue
		}
		if want, ok := strings.CutPrefix(tc.want, "~"); ok {
			// Approximate, as the vectors compare floating point to 6 places.
			g, err1 := strconv.ParseFloat(got, 64)
			w, err2 := strconv.ParseFloat(want, 64)
			if err1 == nil && err2 == nil && math.Abs(g-w) < 1e-6 {
				continue
			}
		}
		if got != tc.want {
			t.Errorf("%s%v = %s, want %s", tc.fn, tc.args, got, tc.want)
		}
	}
}
