package parser

import (
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/lexer"
)

func (s *state) query() *ast.Query {
	q := &ast.Query{Pos: s.pos()}
	s.expectKw("SELECT")
	for {
		q.Select = append(q.Select, s.selectItem())
		if !s.accept(lexer.Comma) {
			break
		}
	}
	s.expectKw("FROM")
	q.From = s.relation()
	if s.is("WINDOW") {
		q.Window = s.window()
	}
	if s.acceptKw("WHERE") {
		q.Where = s.expression()
	}
	if s.is("GROUP") {
		s.next()
		s.expectKw("BY")
		q.GroupBy = s.groupingList()
	}
	if s.is("PARTITION") && s.peek(1).Is("BY") {
		s.next()
		s.next()
		q.PartitionBy = s.groupingList()
	}
	if s.acceptKw("HAVING") {
		q.Having = s.expression()
	}
	if s.is("EMIT") {
		s.next()
		switch {
		case s.acceptKw("CHANGES"):
			q.Emit = ast.EmitChanges
		case s.acceptKw("FINAL"):
			q.Emit = ast.EmitFinal
		default:
			s.fail("'CHANGES'", "'FINAL'")
		}
	}
	if s.acceptKw("LIMIT") {
		v := s.intClause("LIMIT")
		q.Limit = &v
	}
	return q
}

func (s *state) selectItem() ast.SelectItem {
	pos := s.pos()
	if s.accept(lexer.Asterisk) {
		return &ast.SelectAll{Pos: pos}
	}
	if isIdentStart(s.cur()) && s.peek(1).Kind == lexer.Dot && s.peek(2).Kind == lexer.Asterisk {
		q := s.identifier()
		s.next()
		s.next()
		s.qualifiers = append(s.qualifiers, &q)
		return &ast.SelectAll{Pos: pos, Qualifier: &q}
	}
	e := s.expression()
	if s.cur().Kind == lexer.Arrow && s.peek(1).Kind == lexer.Asterisk {
		s.next()
		s.next()
		return &ast.SelectStructAll{Pos: pos, Base: e}
	}
	item := &ast.SelectExpr{Pos: pos, Expr: e}
	if s.acceptKw("AS") {
		item.Alias = s.optIdent()
	} else if isIdentStart(s.cur()) {
		item.Alias = s.optIdent()
	}
	return item
}

// clauseFollows reports whether the current word starts a clause rather
// than naming an alias: EMIT and PARTITION are non-reserved, so "FROM s
// EMIT CHANGES" must not read EMIT as s's alias.
func (s *state) clauseFollows() bool {
	switch {
	case s.is("EMIT"):
		n := s.peek(1)
		return n.Is("CHANGES") || n.Is("FINAL")
	case s.is("PARTITION"):
		return s.peek(1).Is("BY")
	}
	return false
}

func (s *state) aliasedSource() *ast.AliasedSource {
	a := &ast.AliasedSource{Pos: s.pos(), Name: s.sourceName()}
	if s.acceptKw("AS") {
		a.Alias = s.optSourceName()
	} else if isIdentStart(s.cur()) && !s.clauseFollows() {
		a.Alias = s.optSourceName()
	}
	s.addSource(&a.Name)
	if a.Alias != nil {
		s.addSource(a.Alias)
	}
	return a
}

func (s *state) relation() ast.Relation {
	left := s.aliasedSource()
	var joins []*ast.Join
	for {
		j := &ast.Join{Pos: s.pos()}
		switch {
		case s.is("JOIN"):
		case s.is("INNER"):
			s.next()
		case s.is("LEFT"):
			s.next()
			s.acceptKw("OUTER")
			j.Type = ast.JoinLeft
		case s.is("RIGHT"):
			s.next()
			s.acceptKw("OUTER")
			j.Type = ast.JoinRight
		case s.is("FULL"):
			s.next()
			s.acceptKw("OUTER")
			j.Type = ast.JoinFull
		default:
			if joins == nil {
				return left
			}
			return &ast.JoinRelation{Pos: left.Pos, Left: left, Joins: joins}
		}
		s.expectKw("JOIN")
		j.Source = s.aliasedSource()
		if s.acceptKw("WITHIN") {
			w := &ast.Within{Pos: s.pos()}
			if s.accept(lexer.LParen) {
				w.Before = s.duration()
				s.expect(lexer.Comma)
				after := s.duration()
				w.After = &after
				s.expect(lexer.RParen)
			} else {
				w.Before = s.duration()
			}
			if s.is("GRACE") {
				w.Grace = s.optDuration("GRACE", "PERIOD")
			}
			j.Within = w
		}
		s.expectKw("ON")
		j.On = s.expression()
		joins = append(joins, j)
	}
}

func (s *state) window() *ast.Window {
	s.expectKw("WINDOW")
	w := &ast.Window{Pos: s.pos()}
	// The grammar allows a plain IDENTIFIER naming the window; it has no
	// effect, so it is skipped.
	if t := s.cur(); t.Kind == lexer.Ident && !lexer.IsReserved(t.Value) && !t.Is("SESSION") {
		s.next()
	}
	switch {
	case s.acceptKw("TUMBLING"):
		w.Kind = ast.WindowTumbling
		s.expect(lexer.LParen)
		s.expectKw("SIZE")
		w.Size = s.duration()
	case s.acceptKw("HOPPING"):
		w.Kind = ast.WindowHopping
		s.expect(lexer.LParen)
		s.expectKw("SIZE")
		w.Size = s.duration()
		s.expect(lexer.Comma)
		w.Advance = s.optDuration("ADVANCE", "BY")
	case s.acceptKw("SESSION"):
		w.Kind = ast.WindowSession
		s.expect(lexer.LParen)
		w.Size = s.duration()
	default:
		s.fail("'TUMBLING'", "'HOPPING'", "'SESSION'")
	}
	if s.cur().Kind == lexer.Comma && s.peek(1).Is("RETENTION") {
		s.next()
		w.Retention = s.optDuration("RETENTION")
	}
	if s.cur().Kind == lexer.Comma && s.peek(1).Is("GRACE") {
		s.next()
		w.Grace = s.optDuration("GRACE", "PERIOD")
	}
	s.expect(lexer.RParen)
	return w
}

// groupingList parses GROUP BY and PARTITION BY lists, which may be wrapped
// in one pair of parentheses. "(a, b)" is the parenthesized list form and
// "(a) + 1" an expression, so the list form is tried first and kept only
// when the clause ends right after it.
func (s *state) groupingList() []ast.Expr {
	if s.cur().Kind == lexer.LParen {
		var list []ast.Expr
		ok := s.try(func() {
			s.next()
			if !s.accept(lexer.RParen) {
				list = s.valueExprList()
				s.expect(lexer.RParen)
			}
			if !s.groupingEnds() {
				s.fail()
			}
		})
		if ok {
			if list == nil {
				list = []ast.Expr{}
			}
			return list
		}
	}
	return s.valueExprList()
}

func (s *state) groupingEnds() bool {
	t := s.cur()
	if isEnd(t) || t.Kind == lexer.RParen {
		return true
	}
	for _, kw := range []string{"HAVING", "EMIT", "LIMIT", "PARTITION", "WINDOW"} {
		if t.Is(kw) {
			return true
		}
	}
	return false
}

func (s *state) valueExprList() []ast.Expr {
	var list []ast.Expr
	for {
		list = append(list, s.valueExpr())
		if !s.accept(lexer.Comma) {
			return list
		}
	}
}
