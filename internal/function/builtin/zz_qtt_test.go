//go:build qttdev

package builtin_test

// Development harness (not committed): evaluates simple projection-only
// QTT vectors directly against the registry.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

type qtest struct {
	Name       string            `json:"name"`
	Statements []string          `json:"statements"`
	Format     []string          `json:"format"`
	Props      map[string]any    `json:"properties"`
	Inputs     []qrec            `json:"inputs"`
	Outputs    []qrec            `json:"outputs"`
	Exc        map[string]string `json:"expectedException"`
}
type qrec struct {
	Key   json.RawMessage `json:"key"`
	Topic string          `json:"topic"`
	Value json.RawMessage `json:"value"`
}

var commentRE = regexp.MustCompile(`(?m)^\s*//.*$`)

// ---- tiny SQL expression parser ----

type node struct {
	kind   string // call, col, str, int, dec, bool, null, array, lambda, interval
	name   string
	args   []*node
	params []string
	lit    string
}

type parser struct {
	s   string
	i   int
	err error
}

func (p *parser) ws() {
	for p.i < len(p.s) && strings.ContainsRune(" \t\n\r", rune(p.s[p.i])) {
		p.i++
	}
}
func (p *parser) peek(t string) bool {
	p.ws()
	return strings.HasPrefix(p.s[p.i:], t)
}
func (p *parser) expect(t string) {
	if !p.peek(t) {
		p.fail("expected " + t)
		return
	}
	p.i += len(t)
}
func (p *parser) fail(m string) {
	if p.err == nil {
		p.err = fmt.Errorf("%s at %d in %q", m, p.i, p.s)
	}
}
func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
func (p *parser) ident() string {
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '`' {
		j := strings.IndexByte(p.s[p.i+1:], '`')
		if j < 0 {
			p.fail("bad quote")
			return ""
		}
		id := p.s[p.i+1 : p.i+1+j]
		p.i += j + 2
		return "`" + id
	}
	st := p.i
	for p.i < len(p.s) && isIdent(p.s[p.i]) {
		p.i++
	}
	return p.s[st:p.i]
}

var binPrec = []struct {
	op   string
	prec int
}{
	{"OR", 1}, {"AND", 2}, {"<=", 4}, {">=", 4}, {"!=", 4}, {"<>", 4}, {"=", 4}, {"<", 4}, {">", 4},
	{"+", 5}, {"-", 5}, {"*", 6}, {"/", 6}, {"%", 6},
}

func (p *parser) expr() *node { return p.binary(1) }

func (p *parser) binary(min int) *node {
	left := p.primary()
	for p.err == nil {
		p.ws()
		found := false
		for _, bp := range binPrec {
			if bp.prec < min || !strings.HasPrefix(strings.ToUpper(p.s[p.i:]), bp.op) {
				continue
			}
			if bp.op == "=" && strings.HasPrefix(p.s[p.i:], "=>") {
				continue
			}
			if (bp.op == "OR" || bp.op == "AND") && p.i+len(bp.op) < len(p.s) && isIdent(p.s[p.i+len(bp.op)]) {
				continue
			}
			p.i += len(bp.op)
			right := p.binary(bp.prec + 1)
			left = &node{kind: "bin", name: bp.op, args: []*node{left, right}}
			found = true
			break
		}
		if !found {
			return left
		}
	}
	return left
}

func (p *parser) primary() *node {
	p.ws()
	if p.err != nil || p.i >= len(p.s) {
		p.fail("eof")
		return nil
	}
	c := p.s[p.i]
	switch {
	case c == '\'':
		var sb strings.Builder
		p.i++
		for p.i < len(p.s) {
			if p.s[p.i] == '\'' {
				if p.i+1 < len(p.s) && p.s[p.i+1] == '\'' {
					sb.WriteByte('\'')
					p.i += 2
					continue
				}
				p.i++
				return &node{kind: "str", lit: sb.String()}
			}
			sb.WriteByte(p.s[p.i])
			p.i++
		}
		p.fail("unterminated")
		return nil
	case c == '-' && p.i+1 < len(p.s) && p.s[p.i+1] >= '0' && p.s[p.i+1] <= '9' || c >= '0' && c <= '9':
		st := p.i
		p.i++
		for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '.') {
			p.i++
		}
		lit := p.s[st:p.i]
		if lit == "-" {
			p.fail("minus")
			return nil
		}
		if strings.Contains(lit, ".") {
			return &node{kind: "dec", lit: lit}
		}
		return &node{kind: "int", lit: lit}
	case c == '(' && regexp.MustCompile(`^\(\s*\w+\s*(,\s*\w+\s*)*\)\s*=>`).MatchString(p.s[p.i:]):
		// lambda (a, b) => body
		p.i++
		var params []string
		for !p.peek(")") && p.err == nil {
			params = append(params, strings.ToUpper(p.ident()))
			if p.peek(",") {
				p.i++
			}
		}
		p.expect(")")
		p.expect("=>")
		return &node{kind: "lambda", params: params, args: []*node{p.expr()}}
	}
	if c == '(' {
		p.i++
		n := p.expr()
		p.expect(")")
		return n
	}
	id := p.ident()
	if id == "" {
		p.fail("unexpected char")
		return nil
	}
	up := strings.ToUpper(id)
	if p.peek("=>") {
		p.expect("=>")
		return &node{kind: "lambda", params: []string{up}, args: []*node{p.expr()}}
	}
	switch up {
	case "TRUE", "FALSE":
		return &node{kind: "bool", lit: up}
	case "NULL":
		return &node{kind: "null"}
	case "ARRAY":
		if p.peek("[") {
			p.expect("[")
			n := &node{kind: "array"}
			for !p.peek("]") && p.err == nil {
				n.args = append(n.args, p.expr())
				if p.peek(",") {
					p.i++
				}
			}
			p.expect("]")
			return n
		}
	}
	if p.peek("(") {
		p.expect("(")
		n := &node{kind: "call", name: up}
		for !p.peek(")") && p.err == nil {
			n.args = append(n.args, p.expr())
			if p.peek(",") {
				p.i++
			}
		}
		p.expect(")")
		return n
	}
	if strings.HasPrefix(id, "`") {
		return &node{kind: "col", name: id[1:]}
	}
	return &node{kind: "col", name: up}
}

// ---- types ----

func parseType(s string) (*types.Type, error) {
	s = strings.TrimSpace(s)
	u := strings.ToUpper(s)
	switch {
	case u == "INT" || u == "INTEGER":
		return types.IntType, nil
	case u == "BIGINT":
		return types.BigintType, nil
	case u == "DOUBLE":
		return types.DoubleType, nil
	case u == "STRING" || u == "VARCHAR":
		return types.StringType, nil
	case u == "BOOLEAN":
		return types.BooleanType, nil
	case u == "BYTES":
		return types.BytesType, nil
	case u == "DATE":
		return types.DateType, nil
	case u == "TIME":
		return types.TimeType, nil
	case u == "TIMESTAMP":
		return types.TimestampType, nil
	case strings.HasPrefix(u, "DECIMAL("):
		var p, sc int
		if _, err := fmt.Sscanf(strings.ReplaceAll(u, " ", ""), "DECIMAL(%d,%d)", &p, &sc); err != nil {
			return nil, err
		}
		return types.DecimalOf(p, sc)
	case strings.HasPrefix(u, "ARRAY<"):
		e, err := parseType(s[6 : len(s)-1])
		if err != nil {
			return nil, err
		}
		return types.ArrayOf(e), nil
	case strings.HasPrefix(u, "MAP<"):
		parts := splitTop(s[4:len(s)-1], ',')
		if len(parts) != 2 {
			return nil, fmt.Errorf("map")
		}
		k, err := parseType(parts[0])
		if err != nil {
			return nil, err
		}
		v, err := parseType(parts[1])
		if err != nil {
			return nil, err
		}
		return types.MapOf(k, v), nil
	case strings.HasPrefix(u, "STRUCT<"):
		var fs []types.Field
		for _, f := range splitTop(s[7:len(s)-1], ',') {
			f = strings.TrimSpace(f)
			sp := strings.IndexAny(f, " \t")
			name := f[:sp]
			if strings.HasPrefix(name, "`") {
				name = strings.Trim(name, "`")
			} else {
				name = strings.ToUpper(name)
			}
			ft, err := parseType(f[sp+1:])
			if err != nil {
				return nil, err
			}
			fs = append(fs, types.Field{Name: name, Type: ft})
		}
		return types.StructOf(fs...), nil
	}
	return nil, fmt.Errorf("type %q", s)
}

func splitTop(s string, sep byte) []string {
	var out []string
	depth, st := 0, 0
	inStr := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			inStr = !inStr
		case inStr:
		case c == '(' || c == '<' || c == '[':
			depth++
		case c == ')' || c == '>' || c == ']':
			depth--
		case c == sep && depth == 0:
			out = append(out, s[st:i])
			st = i + 1
		}
	}
	return append(out, s[st:])
}

// ---- JSON <-> value ----

func fromJSON(x any, t *types.Type) (value.Value, error) {
	if x == nil {
		return value.Null, nil
	}
	switch t.Kind {
	case types.Int:
		f, ok := x.(json.Number)
		if !ok {
			return value.Null, fmt.Errorf("int %v", x)
		}
		n, err := f.Int64()
		return value.Int(int32(n)), err
	case types.Bigint, types.Timestamp, types.Time, types.Date:
		f, ok := x.(json.Number)
		if !ok {
			return value.Null, fmt.Errorf("num %v", x)
		}
		n, err := f.Int64()
		switch t.Kind {
		case types.Timestamp:
			return value.Timestamp(n), err
		case types.Time:
			return value.Time(n), err
		case types.Date:
			return value.Date(n), err
		}
		return value.Bigint(n), err
	case types.Double:
		f, ok := x.(json.Number)
		if !ok {
			return value.Null, fmt.Errorf("dbl %v", x)
		}
		v, err := f.Float64()
		return value.Double(v), err
	case types.Decimal:
		var s string
		switch x := x.(type) {
		case json.Number:
			s = string(x)
		case string:
			s = x
		default:
			return value.Null, fmt.Errorf("dec %v", x)
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return value.Null, fmt.Errorf("dec %v", x)
		}
		r.Mul(r, new(big.Rat).SetInt(value.Pow10(t.Scale)))
		q := new(big.Int).Quo(r.Num(), r.Denom())
		return value.DecimalBig(q, int32(t.Scale)), nil
	case types.String:
		switch x := x.(type) {
		case string:
			return value.String(x), nil
		case json.Number:
			return value.String(string(x)), nil
		case bool:
			return value.String(strconv.FormatBool(x)), nil
		}
		b, _ := json.Marshal(x)
		return value.String(string(b)), nil
	case types.Boolean:
		b, ok := x.(bool)
		if !ok {
			return value.Null, fmt.Errorf("bool %v", x)
		}
		return value.Bool(b), nil
	case types.Bytes:
		s, _ := x.(string)
		b, err := base64.StdEncoding.DecodeString(s)
		return value.Bytes(b), err
	case types.Array:
		xs, ok := x.([]any)
		if !ok {
			return value.Null, fmt.Errorf("arr %v", x)
		}
		out := make([]value.Value, len(xs))
		for i, e := range xs {
			v, err := fromJSON(e, t.Elem)
			if err != nil {
				return value.Null, err
			}
			out[i] = v
		}
		return value.Array(out), nil
	case types.Map:
		m, ok := x.(map[string]any)
		if !ok {
			return value.Null, fmt.Errorf("map %v", x)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var es []value.Entry
		for _, k := range keys {
			v, err := fromJSON(m[k], t.Elem)
			if err != nil {
				return value.Null, err
			}
			es = append(es, value.Entry{Key: value.String(k), Val: v})
		}
		return value.Map(es), nil
	case types.Struct:
		m, ok := x.(map[string]any)
		if !ok {
			return value.Null, fmt.Errorf("struct %v", x)
		}
		out := make([]value.Value, len(t.Fields))
		for i, f := range t.Fields {
			for k, e := range m {
				if strings.EqualFold(k, f.Name) {
					v, err := fromJSON(e, f.Type)
					if err != nil {
						return value.Null, err
					}
					out[i] = v
				}
			}
		}
		return value.Struct(out), nil
	}
	return value.Null, fmt.Errorf("kind %v", t.Kind)
}

func toJSON(v value.Value, t *types.Type) any {
	if v.IsNull() {
		return nil
	}
	switch v.Kind() {
	case types.Boolean:
		return v.Bool()
	case types.Int, types.Bigint:
		return float64(v.AsInt64())
	case types.Date:
		return float64(v.Days())
	case types.Time, types.Timestamp:
		return float64(v.Millis())
	case types.Double:
		return v.Double()
	case types.Decimal:
		return v.AsFloat64()
	case types.String:
		return v.Str()
	case types.Bytes:
		return base64.StdEncoding.EncodeToString(v.BytesVal())
	case types.Array:
		out := []any{}
		for _, e := range v.Elems() {
			var et *types.Type
			if t != nil {
				et = t.Elem
			}
			out = append(out, toJSON(e, et))
		}
		return out
	case types.Map:
		out := map[string]any{}
		for _, e := range v.Entries() {
			var et *types.Type
			if t != nil {
				et = t.Elem
			}
			out[e.Key.String()] = toJSON(e.Val, et)
		}
		return out
	case types.Struct:
		out := map[string]any{}
		for i, e := range v.Elems() {
			name := fmt.Sprint(i)
			var ft *types.Type
			if t != nil && i < len(t.Fields) {
				name, ft = t.Fields[i].Name, t.Fields[i].Type
			}
			out[name] = toJSON(e, ft)
		}
		return out
	}
	return fmt.Sprint(v)
}

func normalize(x any) any {
	switch x := x.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalize(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalize(x[k])
		}
	}
	return x
}

func approxEqual(a, b any) bool {
	if af, ok := a.(float64); ok {
		if bs, ok := b.(string); ok {
			switch bs {
			case "NaN":
				return math.IsNaN(af)
			case "Infinity":
				return math.IsInf(af, 1)
			case "-Infinity":
				return math.IsInf(af, -1)
			}
		}
	}
	switch a := a.(type) {
	case float64:
		bf, ok := b.(float64)
		return ok && (a == bf || math.Abs(a-bf) <= 1e-6*math.Max(1, math.Abs(a)) || math.IsNaN(a) && math.IsNaN(bf))
	case []any:
		bs, ok := b.([]any)
		if !ok || len(a) != len(bs) {
			return false
		}
		for i := range a {
			if !approxEqual(a[i], bs[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, v := range a {
			if !approxEqual(v, bm[k]) {
				return false
			}
		}
		return true
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// ---- evaluation ----

type env struct {
	r    *function.Registry
	cols map[string]*types.Type
}

var units = map[string]bool{"DAYS": true, "HOURS": true, "MINUTES": true, "SECONDS": true, "MILLISECONDS": true, "MICROSECONDS": true, "NANOSECONDS": true}

type compiled struct {
	typ  *types.Type
	eval func(row map[string]value.Value, lam map[string]value.Value) (value.Value, error)
}

func (e *env) compile(n *node, scope map[string]*types.Type) (*compiled, error) {
	switch n.kind {
	case "str":
		v := value.String(n.lit)
		return &compiled{types.StringType, func(map[string]value.Value, map[string]value.Value) (value.Value, error) { return v, nil }}, nil
	case "int":
		i, err := strconv.ParseInt(n.lit, 10, 64)
		if err != nil {
			return nil, err
		}
		v, t := value.Int(int32(i)), types.IntType
		if i > math.MaxInt32 || i < math.MinInt32 {
			v, t = value.Bigint(i), types.BigintType
		}
		return &compiled{t, func(map[string]value.Value, map[string]value.Value) (value.Value, error) { return v, nil }}, nil
	case "dec":
		lit := strings.TrimPrefix(n.lit, "-")
		scale := len(lit) - strings.IndexByte(lit, '.') - 1
		u, _ := new(big.Int).SetString(strings.Replace(n.lit, ".", "", 1), 10)
		digits := len(strings.TrimLeft(strings.Replace(lit, ".", "", 1), "0"))
		t, err := types.DecimalOf(max(digits, scale, 1), scale)
		if err != nil {
			return nil, err
		}
		v := value.DecimalBig(u, int32(scale))
		return &compiled{t, func(map[string]value.Value, map[string]value.Value) (value.Value, error) { return v, nil }}, nil
	case "bool":
		v := value.Bool(n.lit == "TRUE")
		return &compiled{types.BooleanType, func(map[string]value.Value, map[string]value.Value) (value.Value, error) { return v, nil }}, nil
	case "null":
		return &compiled{types.NullType, func(map[string]value.Value, map[string]value.Value) (value.Value, error) { return value.Null, nil }}, nil
	case "col":
		if t, ok := scope[n.name]; ok {
			name := n.name
			return &compiled{t, func(_ map[string]value.Value, lam map[string]value.Value) (value.Value, error) { return lam[name], nil }}, nil
		}
		t, ok := e.cols[n.name]
		if !ok {
			return nil, fmt.Errorf("no column %s", n.name)
		}
		name := n.name
		return &compiled{t, func(row map[string]value.Value, _ map[string]value.Value) (value.Value, error) { return row[name], nil }}, nil
	case "array":
		var elems []*compiled
		var et *types.Type = types.NullType
		for _, a := range n.args {
			c, err := e.compile(a, scope)
			if err != nil {
				return nil, err
			}
			elems = append(elems, c)
			if ct := types.CommonType(et, c.typ); ct != nil {
				et = ct
			} else {
				return nil, fmt.Errorf("array types")
			}
		}
		return &compiled{types.ArrayOf(et), func(row map[string]value.Value, lam map[string]value.Value) (value.Value, error) {
			out := make([]value.Value, len(elems))
			for i, c := range elems {
				v, err := c.eval(row, lam)
				if err != nil {
					return value.Null, err
				}
				out[i] = function.Widen(v, et)
			}
			return value.Array(out), nil
		}}, nil
	case "bin":
		l, err := e.compile(n.args[0], scope)
		if err != nil {
			return nil, err
		}
		r, err := e.compile(n.args[1], scope)
		if err != nil {
			return nil, err
		}
		return binop(n.name, l, r)
	case "call":
		args := make([]function.Arg, len(n.args))
		comp := make([]*compiled, len(n.args))
		lambdas := map[int]*compiled{}
		for i, a := range n.args {
			switch {
			case a.kind == "col" && units[a.name] && e.cols[a.name] == nil && i == 0:
				args[i] = function.Arg{IntervalUnit: true}
				unit := value.String(a.name)
				comp[i] = &compiled{nil, func(map[string]value.Value, map[string]value.Value) (value.Value, error) { return unit, nil }}
			case a.kind == "lambda":
				a := a
				i := i
				args[i] = function.Arg{LambdaArity: len(a.params), Lambda: func(in []*types.Type) (*types.Type, error) {
					sc := map[string]*types.Type{}
					for k, v := range scope {
						sc[k] = v
					}
					for j, p := range a.params {
						sc[p] = in[j]
					}
					c, err := e.compile(a.args[0], sc)
					if err != nil {
						return nil, err
					}
					lambdas[i] = c
					return c.typ, nil
				}}
			default:
				c, err := e.compile(a, scope)
				if err != nil {
					return nil, err
				}
				comp[i] = c
				args[i] = function.Arg{Type: c.typ}
			}
		}
		if k, _ := e.r.KindOf(n.name); k != function.Scalar {
			return nil, fmt.Errorf("not scalar %s", n.name)
		}
		res, err := e.r.ResolveScalarArgs(n.name, args)
		if err != nil {
			return nil, err
		}
		lamNodes := n.args
		return &compiled{res.Return, func(row map[string]value.Value, lam map[string]value.Value) (value.Value, error) {
			vals := make([]value.Value, len(comp))
			var ls []function.Lambda
			for i, c := range comp {
				if c == nil {
					lc := lambdas[i]
					params := lamNodes[i].params
					ls = append(ls, func(in ...value.Value) (value.Value, error) {
						inner := map[string]value.Value{}
						for k, v := range lam {
							inner[k] = v
						}
						for j, p := range params {
							inner[p] = in[j]
						}
						return lc.eval(row, inner)
					})
					continue
				}
				v, err := c.eval(row, lam)
				if err != nil {
					return value.Null, err
				}
				vals[i] = v
			}
			return res.Call(vals, ls)
		}}, nil
	}
	return nil, fmt.Errorf("unsupported %s", n.kind)
}

func binop(op string, l, r *compiled) (*compiled, error) {
	switch op {
	case "AND", "OR":
		return &compiled{types.BooleanType, func(row, lam map[string]value.Value) (value.Value, error) {
			a, err := l.eval(row, lam)
			if err != nil {
				return value.Null, err
			}
			b, err := r.eval(row, lam)
			if err != nil {
				return value.Null, err
			}
			if op == "AND" {
				if !a.IsNull() && !a.Bool() || !b.IsNull() && !b.Bool() {
					return value.Bool(false), nil
				}
				if a.IsNull() || b.IsNull() {
					return value.Null, nil
				}
				return value.Bool(true), nil
			}
			if !a.IsNull() && a.Bool() || !b.IsNull() && b.Bool() {
				return value.Bool(true), nil
			}
			if a.IsNull() || b.IsNull() {
				return value.Null, nil
			}
			return value.Bool(false), nil
		}}, nil
	}
	cmp := strings.ContainsAny(op, "<>=!")
	var rt *types.Type
	if cmp {
		rt = types.BooleanType
	} else {
		if !l.typ.IsNumeric() && l.typ.Kind != types.Null || !r.typ.IsNumeric() && r.typ.Kind != types.Null {
			return nil, fmt.Errorf("unsupported arithmetic on %s", l.typ)
		}
		if l.typ.Kind == types.Decimal || r.typ.Kind == types.Decimal {
			return nil, fmt.Errorf("unsupported decimal arithmetic")
		}
		rt = types.WiderNumeric(l.typ, r.typ)
		if rt == nil {
			rt = types.IntType
		}
	}
	return &compiled{rt, func(row, lam map[string]value.Value) (value.Value, error) {
		a, err := l.eval(row, lam)
		if err != nil {
			return value.Null, err
		}
		b, err := r.eval(row, lam)
		if err != nil {
			return value.Null, err
		}
		if a.IsNull() || b.IsNull() {
			return value.Null, nil
		}
		if cmp {
			c := value.Compare(a, b)
			switch op {
			case "=":
				return value.Bool(c == 0), nil
			case "!=", "<>":
				return value.Bool(c != 0), nil
			case "<":
				return value.Bool(c < 0), nil
			case "<=":
				return value.Bool(c <= 0), nil
			case ">":
				return value.Bool(c > 0), nil
			}
			return value.Bool(c >= 0), nil
		}
		if rt.Kind == types.Double {
			x, y := a.AsFloat64(), b.AsFloat64()
			switch op {
			case "+":
				return value.Double(x + y), nil
			case "-":
				return value.Double(x - y), nil
			case "*":
				return value.Double(x * y), nil
			case "/":
				return value.Double(x / y), nil
			}
			return value.Double(math.Mod(x, y)), nil
		}
		x, y := a.AsInt64(), b.AsInt64()
		var z int64
		switch op {
		case "+":
			z = x + y
		case "-":
			z = x - y
		case "*":
			z = x * y
		case "/":
			if y == 0 {
				return value.Null, fmt.Errorf("/ by zero")
			}
			z = x / y
		case "%":
			if y == 0 {
				return value.Null, fmt.Errorf("/ by zero")
			}
			z = x % y
		}
		if rt.Kind == types.Int {
			return value.Int(int32(z)), nil
		}
		return value.Bigint(z), nil
	}}, nil
}

var (
	createRE = regexp.MustCompile(`(?is)^\s*CREATE\s+STREAM\s+(\w+)\s*\((.*)\)\s*WITH\s*\((.*)\)\s*;?\s*$`)
	selectRE = regexp.MustCompile(`(?is)^\s*CREATE\s+STREAM\s+(\w+)\s+AS\s+SELECT\s+(.*)\s+FROM\s+(\w+)\s*(EMIT\s+CHANGES)?\s*;?\s*$`)
)

func TestQTT(t *testing.T) {
	dir := "/work/shared/conformance/qtt/query-validation-tests"
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	r := builtin.New()
	var pass, fail, skip int
	only := os.Getenv("QTT_FILE")
	for _, f := range files {
		if only != "" && !strings.Contains(f, only) {
			continue
		}
		raw, _ := os.ReadFile(f)
		raw = commentRE.ReplaceAll(raw, nil)
		var doc struct {
			Tests []qtest `json:"tests"`
		}
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			continue
		}
	tests:
		for _, q := range doc.Tests {
			if len(q.Statements) != 2 {
				continue
			}
			stmt0 := strings.ReplaceAll(q.Statements[0], "{FORMAT}", "JSON")
			m := createRE.FindStringSubmatch(stmt0)
			s := selectRE.FindStringSubmatch(q.Statements[1])
			if os.Getenv("QTT_WHY") != "" && (m == nil || s == nil) {
				t.Logf("SKIP %s / %s: shape", filepath.Base(f), q.Name)
			}
			if m == nil || s == nil || !strings.Contains(strings.ToUpper(m[3]), "'JSON'") || regexp.MustCompile(`(?i)\b(WHERE|GROUP|JOIN|PARTITION|WINDOW|CASE|CAST)\b|->|\|\||\[\d`).MatchString(s[2]) {
				if os.Getenv("QTT_WHY") != "" { t.Logf("SKIP1 %s / %s", filepath.Base(f), q.Name) }
				skip++
				continue
			}
			cols := map[string]*types.Type{}
			var keyCols []string
			for _, c := range splitTop(m[2], ',') {
				c = strings.TrimSpace(c)
				isKey := regexp.MustCompile(`(?i)\s+(PRIMARY\s+)?KEY$`).MatchString(c)
				c = regexp.MustCompile(`(?i)\s+(PRIMARY\s+)?KEY$`).ReplaceAllString(c, "")
				sp := strings.IndexAny(c, " \t")
				if sp < 0 {
					if os.Getenv("QTT_WHY") != "" { t.Logf("SKIP2 %s / %s", filepath.Base(f), q.Name) }
					skip++
					continue tests
				}
				name := c[:sp]
				if strings.HasPrefix(name, "`") {
					name = strings.Trim(name, "`")
				} else {
					name = strings.ToUpper(name)
				}
				ct, err := parseType(c[sp+1:])
				if err != nil {
					if os.Getenv("QTT_WHY") != "" { t.Logf("SKIP3 %s / %s", filepath.Base(f), q.Name) }
					skip++
					continue tests
				}
				cols[name] = ct
				if isKey {
					keyCols = append(keyCols, name)
				}
			}
			e := &env{r: r, cols: cols}
			type proj struct {
				name string
				c    *compiled
			}
			var projs []proj
			var resolveErr error
			exprN := 0
			for _, item := range splitTop(s[2], ',') {
				item = strings.TrimSpace(item)
				alias := ""
				if am := regexp.MustCompile(`(?is)^(.*)\s+AS\s+(\S+)$`).FindStringSubmatch(item); am != nil {
					item, alias = am[1], strings.ToUpper(strings.Trim(am[2], "`"))
				} else if am := regexp.MustCompile(`(?is)^(.*\))\s+(\w+)$`).FindStringSubmatch(item); am != nil {
					item, alias = am[1], strings.ToUpper(am[2])
				}
				p := &parser{s: item}
				n := p.expr()
				p.ws()
				if p.err != nil || p.i != len(p.s) {
					if os.Getenv("QTT_WHY") != "" { t.Logf("SKIP4 %s / %s", filepath.Base(f), q.Name) }
					skip++
					continue tests
				}
				if n.kind == "col" {
					continue
				}
				if alias == "" {
					alias = fmt.Sprintf("KSQL_COL_%d", exprN)
				}
				exprN++
				c, err := e.compile(n, nil)
				if err != nil {
					if strings.HasPrefix(err.Error(), "no column") || strings.HasPrefix(err.Error(), "unsupported") || strings.HasPrefix(err.Error(), "not scalar") || strings.Contains(err.Error(), "unsupported") {
						if os.Getenv("QTT_WHY") != "" { t.Logf("SKIP5 %s / %s", filepath.Base(f), q.Name) }
						skip++
						continue tests
					}
					resolveErr = err
					break
				}
				projs = append(projs, proj{alias, c})
			}
			if q.Exc != nil {
				msg := q.Exc["message"]
				if resolveErr != nil && strings.Contains(resolveErr.Error(), msg) {
					pass++
				} else if resolveErr != nil {
					fail++
					t.Errorf("%s / %s: error %q, want %q", filepath.Base(f), q.Name, resolveErr, msg)
				} else {
					if os.Getenv("QTT_WHY") != "" { t.Logf("SKIP6 %s / %s", filepath.Base(f), q.Name) }
					skip++
				}
				continue
			}
			if resolveErr != nil {
				fail++
				t.Errorf("%s / %s: %v", filepath.Base(f), q.Name, resolveErr)
				continue
			}
			if len(q.Outputs) != len(q.Inputs) || len(projs) == 0 {
				if os.Getenv("QTT_WHY") != "" { t.Logf("SKIP7 %s / %s", filepath.Base(f), q.Name) }
				skip++
				continue
			}
			ok := true
			for i, in := range q.Inputs {
				var iv map[string]any
				d := json.NewDecoder(strings.NewReader(string(in.Value)))
				d.UseNumber()
				if err := d.Decode(&iv); err != nil {
					if os.Getenv("QTT_WHY") != "" { t.Logf("SKIP8 %s / %s", filepath.Base(f), q.Name) }
					skip++
					continue tests
				}
				row := map[string]value.Value{}
				if len(keyCols) == 1 && len(in.Key) > 0 {
					var kx any
					d := json.NewDecoder(strings.NewReader(string(in.Key)))
					d.UseNumber()
					if d.Decode(&kx) == nil {
						if kv, err := fromJSON(kx, cols[keyCols[0]]); err == nil {
							row[keyCols[0]] = kv
						}
					}
				}
				for k, x := range iv {
					name := k
					if _, ok := cols[name]; !ok {
						name = strings.ToUpper(k)
					}
					ct, ok := cols[name]
					if !ok {
						continue
					}
					v, err := fromJSON(x, ct)
					if err != nil {
						if os.Getenv("QTT_WHY") != "" { t.Logf("SKIP9 %s / %s", filepath.Base(f), q.Name) }
						skip++
						continue tests
					}
					row[name] = v
				}
				var ov map[string]any
				d = json.NewDecoder(strings.NewReader(string(q.Outputs[i].Value)))
				d.UseNumber()
				if err := d.Decode(&ov); err != nil || ov == nil {
					if os.Getenv("QTT_WHY") != "" { t.Logf("SKIP10 %s / %s", filepath.Base(f), q.Name) }
					skip++
					continue tests
				}
				for _, pj := range projs {
					v, err := pj.c.eval(row, nil)
					if err != nil {
						v = value.Null
					}
					got := normalize(toJSON(v, pj.c.typ))
					want, present := ov[pj.name]
					if !present {
						continue
					}
					want = normalize(want)
					if !approxEqual(got, want) {
						ok = false
						t.Errorf("%s / %s / row %d / %s: got %v (err %v), want %v", filepath.Base(f), q.Name, i, pj.name, got, err, want)
					}
				}
			}
			if ok {
				pass++
			} else {
				fail++
			}
		}
	}
	t.Logf("pass %d fail %d skip %d", pass, fail, skip)
}
