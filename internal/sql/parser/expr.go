package parser

import (
	"math"
	"strconv"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/lexer"
)

// expression is the grammar's booleanExpression: OR binds loosest, then
// AND, then prefix NOT, then one predicate over a value expression.
func (s *state) expression() ast.Expr {
	l := s.andExpr()
	for s.is("OR") {
		pos := s.pos()
		s.next()
		l = &ast.Logical{Pos: pos, Op: "OR", L: l, R: s.andExpr()}
	}
	return l
}

func (s *state) andExpr() ast.Expr {
	l := s.notExpr()
	for s.is("AND") {
		pos := s.pos()
		s.next()
		l = &ast.Logical{Pos: pos, Op: "AND", L: l, R: s.notExpr()}
	}
	return l
}

func (s *state) notExpr() ast.Expr {
	if s.is("NOT") {
		pos := s.pos()
		s.next()
		s.enter()
		defer s.leave()
		return &ast.Not{Pos: pos, X: s.notExpr()}
	}
	return s.predicated()
}

var comparisonOps = map[lexer.Kind]string{
	lexer.Eq: "=", lexer.Neq: "<>", lexer.Lt: "<", lexer.Lte: "<=", lexer.Gt: ">", lexer.Gte: ">=",
}

func (s *state) predicated() ast.Expr {
	v := s.valueExpr()
	pos := s.pos()
	if op, ok := comparisonOps[s.cur().Kind]; ok {
		s.next()
		return &ast.Comparison{Pos: pos, Op: op, L: v, R: s.valueExpr()}
	}
	if s.is("IS") {
		s.next()
		not := s.acceptKw("NOT")
		if s.acceptKw("NULL") {
			return &ast.IsNull{Pos: pos, Not: not, X: v}
		}
		if s.acceptKw("DISTINCT") {
			s.expectKw("FROM")
			return &ast.IsDistinctFrom{Pos: pos, Not: not, L: v, R: s.valueExpr()}
		}
		s.fail("'NULL'", "'DISTINCT'")
	}
	not := false
	if s.is("NOT") && (s.peek(1).Is("BETWEEN") || s.peek(1).Is("IN") || s.peek(1).Is("LIKE")) {
		s.next()
		not = true
	}
	switch {
	case s.acceptKw("BETWEEN"):
		lo := s.valueExpr()
		s.expectKw("AND")
		return &ast.Between{Pos: pos, Not: not, X: v, Lo: lo, Hi: s.valueExpr()}
	case s.acceptKw("IN"):
		s.expect(lexer.LParen)
		in := &ast.InList{Pos: pos, Not: not, X: v}
		for {
			in.List = append(in.List, s.expression())
			if !s.accept(lexer.Comma) {
				break
			}
		}
		s.expect(lexer.RParen)
		return in
	case s.acceptKw("LIKE"):
		l := &ast.Like{Pos: pos, Not: not, X: v, Pattern: s.valueExpr()}
		if s.acceptKw("ESCAPE") {
			t := s.cur()
			esc := s.stringLit()
			if len([]rune(esc)) != 1 {
				s.failPrepare(convPos(t.Pos), t.Text, "Expected single character escape but got: "+esc)
			}
			l.Escape = &esc
		}
		return l
	}
	return v
}

// valueExpr is the grammar's valueExpression. Precedence, loosest first:
// ||, then + -, then * / %, then unary + -, then AT TIME ZONE.
func (s *state) valueExpr() ast.Expr {
	// Every nested expression, whether in parentheses, arguments or
	// subscripts, passes through here, so this one counter bounds them all.
	s.enter()
	defer s.leave()
	l := s.additive()
	for s.cur().Kind == lexer.Concat {
		pos := s.pos()
		s.next()
		l = &ast.Binary{Pos: pos, Op: "||", L: l, R: s.additive()}
	}
	return l
}

func (s *state) additive() ast.Expr {
	l := s.multiplicative()
	for k := s.cur().Kind; k == lexer.Plus || k == lexer.Minus; k = s.cur().Kind {
		pos := s.pos()
		op := s.next().Text
		l = &ast.Binary{Pos: pos, Op: op, L: l, R: s.multiplicative()}
	}
	return l
}

func (s *state) multiplicative() ast.Expr {
	l := s.unary()
	for k := s.cur().Kind; k == lexer.Asterisk || k == lexer.Slash || k == lexer.Percent; k = s.cur().Kind {
		pos := s.pos()
		op := s.next().Text
		l = &ast.Binary{Pos: pos, Op: op, L: l, R: s.unary()}
	}
	return l
}

func isNumber(k lexer.Kind) bool {
	return k == lexer.Integer || k == lexer.Decimal || k == lexer.Float
}

func (s *state) unary() ast.Expr {
	k := s.cur().Kind
	if k == lexer.Minus && isNumber(s.peek(1).Kind) {
		// The grammar's number rule owns a leading minus, so -5 is one
		// literal, which is how -9223372036854775808 stays in range.
		return s.atTimeZone(s.postfix(s.numberLit()))
	}
	if k == lexer.Minus || k == lexer.Plus {
		pos := s.pos()
		op := s.next().Text
		s.enter()
		defer s.leave()
		return &ast.Unary{Pos: pos, Op: op, X: s.unary()}
	}
	return s.atTimeZone(s.primary())
}

func (s *state) atTimeZone(x ast.Expr) ast.Expr {
	for s.is("AT") {
		pos := s.pos()
		s.next()
		s.expectKw("TIME")
		s.expectKw("ZONE")
		x = &ast.AtTimeZone{Pos: pos, X: x, Zone: s.stringLit()}
	}
	return x
}

// literal parses the grammar's literal rule, used by WITH properties.
func (s *state) literal() ast.Expr {
	t := s.cur()
	pos := convPos(t.Pos)
	switch {
	case t.Is("NULL"):
		s.next()
		return &ast.NullLit{Pos: pos}
	case t.Is("TRUE"), t.Is("FALSE"):
		s.next()
		return &ast.BoolLit{Pos: pos, Value: t.Value == "TRUE"}
	case t.Kind == lexer.String:
		s.next()
		return &ast.StringLit{Pos: pos, Value: t.Value}
	case t.Kind == lexer.Variable:
		s.next()
		return &ast.VariableLit{Pos: pos, Name: t.Text}
	case isNumber(t.Kind), t.Kind == lexer.Minus && isNumber(s.peek(1).Kind):
		return s.numberLit()
	}
	s.fail("'NULL'", "'TRUE'", "'FALSE'", "STRING", "INTEGER_VALUE", "DECIMAL_VALUE", "FLOATING_POINT_VALUE", "VARIABLE")
	return nil
}

func parseInt(text string) (int64, bool) {
	v, err := strconv.ParseInt(text, 10, 64)
	return v, err == nil
}

// numberLit parses MINUS? (INTEGER_VALUE | DECIMAL_VALUE | FLOATING_POINT_VALUE)
// and applies ksqlDB's range rules: integers that overflow 64 bits and
// doubles that overflow float64 are errors, not silently rounded.
func (s *state) numberLit() ast.Expr {
	start := s.cur()
	pos := convPos(start.Pos)
	neg := s.accept(lexer.Minus)
	t := s.next()
	text := t.Text
	if neg {
		text = "-" + text
	}
	switch t.Kind {
	case lexer.Integer:
		v, ok := parseInt(text)
		if !ok {
			s.failLiteral(start, "Invalid numeric literal: "+text)
		}
		return &ast.IntegerLit{Pos: pos, Value: v, Big: v > math.MaxInt32 || v < math.MinInt32}
	case lexer.Decimal:
		return &ast.DecimalLit{Pos: pos, Text: text}
	default:
		v, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(v, 0) {
			s.failLiteral(start, "Number overflows DOUBLE: "+text)
		}
		return &ast.DoubleLit{Pos: pos, Text: text, Value: v}
	}
}

func (s *state) primary() ast.Expr {
	return s.postfix(s.primaryBase())
}

// postfix applies subscripts and -> dereferences. "->*" is left for the
// select list, which owns the struct-all form.
func (s *state) postfix(x ast.Expr) ast.Expr {
	for {
		switch s.cur().Kind {
		case lexer.LBracket:
			pos := s.pos()
			s.next()
			idx := s.valueExpr()
			s.expect(lexer.RBracket)
			x = &ast.Subscript{Pos: pos, X: x, Index: idx}
		case lexer.Arrow:
			if s.peek(1).Kind == lexer.Asterisk {
				return x
			}
			pos := s.pos()
			s.next()
			x = &ast.Deref{Pos: pos, X: x, Field: s.identifier()}
		default:
			return x
		}
	}
}

func (s *state) primaryBase() ast.Expr {
	t := s.cur()
	pos := convPos(t.Pos)
	switch t.Kind {
	case lexer.String, lexer.Integer, lexer.Decimal, lexer.Float, lexer.Variable:
		if t.Kind != lexer.Variable || s.peek(1).Kind != lexer.LParen {
			return s.literal()
		}
	case lexer.LParen:
		s.next()
		e := s.expression()
		s.expect(lexer.RParen)
		return e
	case lexer.Ident:
		switch t.Value {
		case "NULL", "TRUE", "FALSE":
			return s.literal()
		case "CASE":
			return s.caseExpr()
		case "CAST":
			s.next()
			s.expect(lexer.LParen)
			x := s.expression()
			s.expectKw("AS")
			typ := s.typ()
			s.expect(lexer.RParen)
			return &ast.Cast{Pos: pos, X: x, Type: typ}
		case "ARRAY":
			if s.peek(1).Kind == lexer.LBracket {
				s.next()
				s.next()
				a := &ast.ArrayCtor{Pos: pos}
				if !s.accept(lexer.RBracket) {
					for {
						a.Elems = append(a.Elems, s.expression())
						if !s.accept(lexer.Comma) {
							break
						}
					}
					s.expect(lexer.RBracket)
				}
				return a
			}
		case "MAP":
			if s.peek(1).Kind == lexer.LParen {
				s.next()
				s.next()
				m := &ast.MapCtor{Pos: pos}
				if !s.accept(lexer.RParen) {
					for {
						e := ast.MapEntry{Pos: s.pos(), Key: s.expression()}
						s.expect(lexer.Assign)
						e.Value = s.expression()
						m.Entries = append(m.Entries, e)
						if !s.accept(lexer.Comma) {
							break
						}
					}
					s.expect(lexer.RParen)
				}
				return m
			}
		case "STRUCT":
			if s.peek(1).Kind == lexer.LParen {
				s.next()
				s.next()
				st := &ast.StructCtor{Pos: pos}
				if !s.accept(lexer.RParen) {
					for {
						f := ast.StructField{Pos: s.pos(), Name: s.identifier()}
						s.expect(lexer.Assign)
						f.Value = s.expression()
						st.Fields = append(st.Fields, f)
						if !s.accept(lexer.Comma) {
							break
						}
					}
					s.expect(lexer.RParen)
				}
				return st
			}
		}
	}
	if !isIdentStart(t) {
		if t.Kind == lexer.Ident && lexer.IsReserved(t.Value) {
			s.failReserved(t)
		}
		s.fail("IDENTIFIER")
	}
	name := s.identifier()
	switch s.cur().Kind {
	case lexer.String:
		// "identifier 'string'" is the grammar's type constructor; ksqlDB
		// only knows DECIMAL '1.5', which needs a quoted "DECIMAL".
		t := s.next()
		if name.Name != "DECIMAL" {
			s.failPrepare(name.Pos, name.Raw, "Unknown type: "+name.Name)
		}
		if !isDecimalText(t.Value) {
			s.failLiteral(t, "Invalid numeric literal: "+t.Value)
		}
		return &ast.DecimalLit{Pos: pos, Text: t.Value}
	case lexer.LParen:
		return s.funcCall(name)
	case lexer.Dot:
		if isIdentStart(s.peek(1)) {
			s.next()
			col := s.identifier()
			s.qualifiers = append(s.qualifiers, &name)
			return &ast.ColumnRef{Pos: pos, Qualifier: &name, Name: col}
		}
	}
	return &ast.ColumnRef{Pos: pos, Name: name}
}

// isDecimalText reports whether v is a plain decimal number, the form the
// DECIMAL type constructor takes: optional sign, digits, optional fraction.
func isDecimalText(v string) bool {
	if v != "" && (v[0] == '-' || v[0] == '+') {
		v = v[1:]
	}
	digits, dot := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

func (s *state) caseExpr() ast.Expr {
	c := &ast.Case{Pos: s.pos()}
	s.expectKw("CASE")
	if !s.is("WHEN") {
		c.Operand = s.valueExpr()
	}
	for s.is("WHEN") {
		w := ast.When{Pos: s.pos()}
		s.next()
		w.Cond = s.expression()
		s.expectKw("THEN")
		w.Result = s.expression()
		c.Whens = append(c.Whens, w)
	}
	if c.Whens == nil {
		s.fail("'WHEN'")
	}
	if s.acceptKw("ELSE") {
		c.Else = s.expression()
	}
	s.expectKw("END")
	return c
}

func (s *state) funcCall(name ast.Ident) ast.Expr {
	f := &ast.FuncCall{Pos: name.Pos, Name: name}
	s.expect(lexer.LParen)
	if s.cur().Kind == lexer.Asterisk && s.peek(1).Kind == lexer.RParen {
		s.next()
		s.next()
		f.Star = true
		return f
	}
	if s.accept(lexer.RParen) {
		return f
	}
	sawLambda := false
	for {
		if len(f.Args) == 0 && s.lambdaStarts() {
			// The grammar only allows lambdas after an ordinary argument.
			for s.cur().Kind != lexer.Lambda {
				s.next()
			}
			s.fail()
		}
		if lam := s.lambda(); lam != nil {
			f.Args = append(f.Args, lam)
			sawLambda = true
		} else if sawLambda {
			s.fail("IDENTIFIER", "'('")
		} else if u, ok := units[s.cur().Value]; ok && s.cur().Kind == lexer.Ident && lexer.IsReserved(s.cur().Value) &&
			(s.peek(1).Kind == lexer.Comma || s.peek(1).Kind == lexer.RParen) {
			// Only reserved unit words are units here: DAY, HOUR, MINUTE and
			// SECOND are non-reserved, and ksqlDB's grammar reads them as
			// column names when both readings fit.
			f.Args = append(f.Args, &ast.IntervalUnit{Pos: s.pos(), Unit: u})
			s.next()
		} else {
			f.Args = append(f.Args, s.expression())
		}
		if !s.accept(lexer.Comma) {
			break
		}
	}
	s.expect(lexer.RParen)
	return f
}

// lambdaStarts reports whether "x =>" or "(x, y) =>" starts here.
func (s *state) lambdaStarts() bool {
	if isIdentStart(s.cur()) && s.peek(1).Kind == lexer.Lambda {
		return true
	}
	if s.cur().Kind != lexer.LParen {
		return false
	}
	for j := 1; ; {
		if !isIdentStart(s.peek(j)) {
			return false
		}
		j++
		switch {
		case s.peek(j).Kind == lexer.Comma:
			j++
		case s.peek(j).Kind == lexer.RParen && s.peek(j+1).Kind == lexer.Lambda:
			return true
		default:
			return false
		}
	}
}

// lambda parses "x => e" or "(x, y) => e" if one starts here, else returns
// nil without consuming anything.
func (s *state) lambda() ast.Expr {
	if !s.lambdaStarts() {
		return nil
	}
	pos := s.pos()
	var params []ast.Ident
	if s.cur().Kind != lexer.LParen {
		params = append(params, s.identifier())
	} else {
		s.next()
		for {
			params = append(params, s.identifier())
			if !s.accept(lexer.Comma) {
				break
			}
		}
		s.expect(lexer.RParen)
	}
	s.expect(lexer.Lambda)
	// Parameters stay ColumnRefs in the body; the expression compiler
	// resolves them against the lambda's scope before any column.
	return &ast.Lambda{Pos: pos, Params: params, Body: s.expression()}
}
