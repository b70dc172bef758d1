// Package parser is a hand-written recursive-descent parser for ksqlDB's SQL
// grammar (SqlBase.g4 in confluentinc/ksql). It owns statement splitting,
// ${var} substitution and the mapping from text to the ast package's nodes;
// it does no name resolution or type checking.
package parser

import (
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/lexer"
)

// Options configures a Parser. The zero value parses what ksqlDB's server
// accepts.
type Options struct {
	// AllowRunScript accepts RUN SCRIPT 'file', which only the CLI runs;
	// ksqlDB's server rejects it as an unknown statement.
	AllowRunScript bool
}

// Parser parses ksqlDB SQL. It holds only options and is safe for
// concurrent use.
type Parser struct {
	opts Options
}

// New returns a parser with opts.
func New(opts Options) *Parser { return &Parser{opts: opts} }

// Parsed is one statement with the exact text it was parsed from.
type Parsed struct {
	Stmt ast.Statement
	Text string  // the statement's text, without the terminating ';'
	Pos  ast.Pos // where Text starts in the input
}

// ParseStatements parses a sequence of ';'-terminated statements; the last
// ';' may be omitted. Positions are relative to sql.
func (p *Parser) ParseStatements(sql string) ([]Parsed, error) {
	ps := p.newState(sql)
	var out []Parsed
	err := ps.run(func() {
		for {
			for ps.cur().Kind == lexer.Semicolon {
				ps.next()
			}
			if ps.cur().Kind == lexer.EOF {
				return
			}
			start := ps.cur()
			st := ps.statement()
			ps.checkQualifiers()
			end := ps.cur().Pos.Offset
			if ps.cur().Kind != lexer.EOF {
				ps.expect(lexer.Semicolon)
			}
			out = append(out, Parsed{Stmt: st, Text: strings.TrimSpace(sql[start.Pos.Offset:end]), Pos: convPos(start.Pos)})
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ParseStatement parses exactly one statement, with an optional ';'.
func (p *Parser) ParseStatement(sql string) (ast.Statement, error) {
	ps := p.newState(sql)
	var st ast.Statement
	err := ps.run(func() {
		st = ps.statement()
		ps.checkQualifiers()
		ps.accept(lexer.Semicolon)
		ps.expectEOF()
	})
	return st, err
}

// ParseExpr parses a single expression.
func (p *Parser) ParseExpr(sql string) (ast.Expr, error) {
	ps := p.newState(sql)
	var e ast.Expr
	err := ps.run(func() {
		e = ps.expression()
		ps.expectEOF()
	})
	return e, err
}

// ParseStatements parses with default options.
func ParseStatements(sql string) ([]Parsed, error) { return New(Options{}).ParseStatements(sql) }

// ParseStatement parses one statement with default options.
func ParseStatement(sql string) (ast.Statement, error) { return New(Options{}).ParseStatement(sql) }

// ParseExpr parses one expression with default options.
func ParseExpr(sql string) (ast.Expr, error) { return New(Options{}).ParseExpr(sql) }

// state is one parse in progress. Errors unwind with a bailout panic that
// run turns back into an error, so no panic leaves the package.
type state struct {
	opts Options
	src  string
	toks []lexer.Token
	i    int

	depth int // nesting of expressions and types, bounded by maxDepth

	// sources and qualifiers collect, per statement, the source names and
	// aliases in FROM clauses and the qualifiers used, for checkQualifiers.
	sources    map[string]bool
	qualifiers []*ast.Ident
}

// maxDepth bounds expression and type nesting so hostile input cannot
// exhaust the stack; ksqlDB has the same failure, from its own stack.
const maxDepth = 500

func (s *state) enter() {
	s.depth++
	if s.depth > maxDepth {
		s.failPrepare(s.pos(), tokenText(s.cur()), "Error processing statement: Statement is too large to parse. "+
			"This may be caused by having too many nested expressions in the statement.")
	}
}

func (s *state) leave() { s.depth-- }

type bailout struct{ err *Error }

func (p *Parser) newState(sql string) *state {
	return &state{opts: p.opts, src: sql, toks: lexer.All(sql)}
}

func (s *state) run(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	f()
	return nil
}

// try runs f and rewinds the token position if it fails, for the few places
// where the grammar needs more lookahead than a token or two.
func (s *state) try(f func()) (ok bool) {
	save := s.i
	defer func() {
		if r := recover(); r != nil {
			if _, isBail := r.(bailout); !isBail {
				panic(r)
			}
			s.i = save
			ok = false
		}
	}()
	f()
	return true
}

func convPos(p lexer.Pos) ast.Pos { return ast.Pos{Offset: p.Offset, Line: p.Line, Col: p.Col} }

func (s *state) cur() lexer.Token { return s.toks[s.i] }

func (s *state) peek(n int) lexer.Token {
	if s.i+n < len(s.toks) {
		return s.toks[s.i+n]
	}
	return s.toks[len(s.toks)-1]
}

func (s *state) pos() ast.Pos { return convPos(s.cur().Pos) }

func (s *state) next() lexer.Token {
	t := s.toks[s.i]
	if s.i < len(s.toks)-1 {
		s.i++
	}
	return t
}

func (s *state) is(kw string) bool { return s.cur().Is(kw) }

func (s *state) acceptKw(kw string) bool {
	if s.is(kw) {
		s.next()
		return true
	}
	return false
}

func (s *state) expectKw(kw string) lexer.Token {
	if !s.is(kw) {
		s.fail("'" + kw + "'")
	}
	return s.next()
}

func (s *state) accept(k lexer.Kind) bool {
	if s.cur().Kind == k {
		s.next()
		return true
	}
	return false
}

func (s *state) expect(k lexer.Kind) lexer.Token {
	if s.cur().Kind != k {
		s.fail(k.String())
	}
	return s.next()
}

func (s *state) expectEOF() {
	if s.cur().Kind != lexer.EOF {
		s.fail("';'")
	}
}

func tokenText(t lexer.Token) string {
	if t.Kind == lexer.EOF {
		return "<EOF>"
	}
	return t.Text
}

// fail reports that the current token is not one of expected, in the
// wording ANTLR gives ksqlDB: "missing X at Y" for one missing punctuation
// token, "mismatched input" for one other token, "Expecting {...}" for sets.
func (s *state) fail(expected ...string) {
	t := s.cur()
	var msg string
	if t.Kind == lexer.Illegal && strings.HasPrefix(t.Text, "/*") {
		msg = "unterminated comment"
	} else if t.Kind == lexer.Illegal && len(t.Text) > 1 && (t.Text[0] == '\'' || t.Text[0] == '"' || t.Text[0] == '`') {
		msg = fmt.Sprintf("unterminated quoted text starting with %c", t.Text[0])
	} else if t.Kind == lexer.Illegal {
		msg = fmt.Sprintf("extraneous input '%s'", tokenText(t))
		if len(expected) > 0 {
			msg += " expecting " + expectSet(expected)
		}
	} else {
		switch {
		case len(expected) == 1 && expected[0] == "';'":
			msg = fmt.Sprintf("mismatched input '%s' expecting ';'", tokenText(t))
		case len(expected) == 1 && len(expected[0]) == 3 && expected[0][0] == '\'' && t.Kind != lexer.EOF:
			msg = fmt.Sprintf("missing %s at '%s'", expected[0], tokenText(t))
		case len(expected) == 1:
			msg = fmt.Sprintf("mismatched input '%s' expecting %s", tokenText(t), expected[0])
		case len(expected) > 1:
			msg = "Expecting " + expectSet(expected)
		default:
			msg = fmt.Sprintf("mismatched input '%s'", tokenText(t))
		}
	}
	s.failAt(t, expected, "Syntax Error\n"+msg)
}

func expectSet(expected []string) string {
	if len(expected) == 1 {
		return expected[0]
	}
	return "{" + strings.Join(expected, ", ") + "}"
}

// failLiteral reports a literal that is out of range. ksqlDB raises these
// while building the tree, and its message counts columns from 2, one more
// than its syntax errors do; Error keeps that quirk so clients that match
// ksqlDB's text still match, while Pos stays exact.
func (s *state) failLiteral(t lexer.Token, msg string) {
	panic(bailout{&Error{Pos: convPos(t.Pos), Token: tokenText(t), Msg: msg, Source: s.src, stage: stagePrepareAt}})
}

// failPrepare reports a statement that the grammar accepts but ksqlDB
// rejects while building its tree.
func (s *state) failPrepare(pos ast.Pos, token, msg string) {
	panic(bailout{&Error{Pos: pos, Token: token, Msg: msg, Source: s.src, stage: stagePrepare}})
}

func (s *state) failAt(t lexer.Token, expected []string, msg string) {
	panic(bailout{&Error{Pos: convPos(t.Pos), Token: tokenText(t), Expected: expected, Msg: msg, Source: s.src}})
}

// failReserved reports a reserved word where a name was expected, in
// ksqlDB's wording for that case.
func (s *state) failReserved(t lexer.Token) {
	s.failAt(t, []string{"IDENTIFIER"}, fmt.Sprintf("Syntax Error\nSyntax error at or near '%s' at line %d:%d", t.Text, t.Pos.Line, t.Pos.Col))
}

// isIdentStart reports whether t can begin an identifier.
func isIdentStart(t lexer.Token) bool {
	switch t.Kind {
	case lexer.Ident:
		return !lexer.IsReserved(t.Value)
	case lexer.QuotedIdent, lexer.BackQuoted, lexer.DigitIdent, lexer.Variable:
		return true
	}
	return false
}

// identifier parses the grammar's identifier rule.
func (s *state) identifier() ast.Ident {
	t := s.cur()
	id := ast.Ident{Pos: convPos(t.Pos), Raw: t.Text}
	switch t.Kind {
	case lexer.Ident:
		if lexer.IsReserved(t.Value) {
			s.failReserved(t)
		}
		id.Name = t.Value
	case lexer.DigitIdent:
		id.Name = t.Value
	case lexer.QuotedIdent, lexer.BackQuoted:
		id.Name = t.Value
		id.Quoted = true
	case lexer.Variable:
		id.Name = t.Text
		id.Variable = true
	default:
		s.fail("IDENTIFIER")
	}
	s.next()
	return id
}

// sourceName is an identifier naming a stream or table. ksqlDB restricts
// such names to what Kafka Streams accepts in store names.
func (s *state) sourceName() ast.Ident {
	t := s.cur()
	id := s.identifier()
	for i := 0; i < len(id.Name); i++ {
		c := id.Name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			panic(bailout{&Error{Pos: convPos(t.Pos), Token: t.Text, Source: s.src, stage: stageRaw,
				Msg: fmt.Sprintf("Illegal argument at Line: %d, Col: %d. Source names may only "+
					"contain alphanumeric values, '_' or '-'. Got: '%s'", t.Pos.Line, t.Pos.Col, id.Name)}})
		}
	}
	return id
}

func (s *state) optSourceName() *ast.Ident {
	id := s.sourceName()
	return &id
}

func (s *state) optIdent() *ast.Ident {
	id := s.identifier()
	return &id
}

// stringLit parses a STRING token and returns its content.
func (s *state) stringLit() string {
	return s.expect(lexer.String).Value
}

// resourceName is an identifier or a string naming a topic or subject.
// Kafka names are case-sensitive, so an unquoted identifier keeps its case
// here, as ksqlDB's PRINT does.
func (s *state) resourceName() ast.ResourceName {
	if s.cur().Kind == lexer.String {
		t := s.next()
		return ast.ResourceName{Pos: convPos(t.Pos), Name: t.Value, IsString: true}
	}
	id := s.identifier()
	name := id.Name
	if !id.Quoted && !id.Variable {
		name = id.Raw
	}
	return ast.ResourceName{Pos: id.Pos, Name: name}
}

// properties parses '(' name = literal, ... ')'.
func (s *state) properties() ast.Properties {
	s.expect(lexer.LParen)
	var ps ast.Properties
	for {
		p := ast.Property{Pos: s.pos()}
		if s.cur().Kind == lexer.String {
			p.Name = s.next().Value
			p.IsString = true
		} else {
			p.Name = s.identifier().Name
		}
		s.expect(lexer.Eq)
		p.Value = s.literal()
		ps = append(ps, p)
		if !s.accept(lexer.Comma) {
			break
		}
	}
	s.expect(lexer.RParen)
	return ps
}

func (s *state) optWith() ast.Properties {
	if s.acceptKw("WITH") {
		return s.properties()
	}
	return nil
}

// integer parses the grammar's number rule where an integer is required.
func (s *state) integer() int64 {
	t := s.cur()
	neg := s.accept(lexer.Minus)
	if s.cur().Kind != lexer.Integer {
		if neg || s.cur().Kind == lexer.Decimal || s.cur().Kind == lexer.Float {
			s.failAt(s.cur(), []string{"INTEGER_VALUE"}, "Syntax Error\nmismatched input '"+tokenText(s.cur())+"' expecting INTEGER_VALUE")
		}
		s.fail("INTEGER_VALUE")
	}
	text := s.next().Text
	if neg {
		text = "-" + text
	}
	v, ok := parseInt(text)
	if !ok {
		s.failLiteral(t, "Invalid numeric literal: "+text)
	}
	return v
}

// intClause parses the number of LIMIT n or INTERVAL n, which ksqlDB
// requires to be a 32-bit integer literal.
func (s *state) intClause(clause string) int64 {
	t := s.cur()
	lit := s.literalNumber()
	if n, ok := lit.(*ast.IntegerLit); ok && !n.Big {
		return n.Value
	}
	s.failPrepare(convPos(t.Pos), tokenText(t), "Value must be integer for command: "+clause)
	return 0
}

// literalNumber parses the grammar's number rule.
func (s *state) literalNumber() ast.Expr {
	if !(isNumber(s.cur().Kind) || s.cur().Kind == lexer.Minus && isNumber(s.peek(1).Kind)) {
		s.fail("INTEGER_VALUE", "DECIMAL_VALUE", "FLOATING_POINT_VALUE")
	}
	return s.numberLit()
}

var units = map[string]string{
	"MILLISECOND": "MILLISECONDS", "MILLISECONDS": "MILLISECONDS",
	"SECOND": "SECONDS", "SECONDS": "SECONDS",
	"MINUTE": "MINUTES", "MINUTES": "MINUTES",
	"HOUR": "HOURS", "HOURS": "HOURS",
	"DAY": "DAYS", "DAYS": "DAYS",
}

func (s *state) windowUnit() string {
	if s.cur().Kind == lexer.Ident {
		if u, ok := units[s.cur().Value]; ok {
			s.next()
			return u
		}
	}
	s.fail("'DAY'", "'HOUR'", "'MINUTE'", "'SECOND'", "'MILLISECOND'", "'DAYS'", "'HOURS'", "'MINUTES'", "'SECONDS'", "'MILLISECONDS'")
	return ""
}

func (s *state) duration() ast.Duration {
	d := ast.Duration{Pos: s.pos()}
	d.Value = s.integer()
	d.Unit = s.windowUnit()
	return d
}

func (s *state) optDuration(kw ...string) *ast.Duration {
	for _, k := range kw {
		s.expectKw(k)
	}
	d := s.duration()
	return &d
}
