package parser

import (
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/lexer"
)

// typ parses the grammar's type rule, including the postfix "T ARRAY" form.
func (s *state) typ() *ast.Type {
	s.enter()
	defer s.leave()
	t := s.baseType()
	for s.is("ARRAY") && s.peek(1).Kind != lexer.Lt {
		s.next()
		t = &ast.Type{Pos: t.Pos, Kind: ast.TypeArray, Elem: t}
	}
	return t
}

func (s *state) baseType() *ast.Type {
	t := &ast.Type{Pos: s.pos()}
	switch {
	case s.is("ARRAY") && s.peek(1).Kind == lexer.Lt:
		s.next()
		s.next()
		t.Kind = ast.TypeArray
		t.Elem = s.typ()
		s.expect(lexer.Gt)
	case s.is("MAP") && s.peek(1).Kind == lexer.Lt:
		s.next()
		s.next()
		t.Kind = ast.TypeMap
		t.Key = s.typ()
		s.expect(lexer.Comma)
		t.Value = s.typ()
		s.expect(lexer.Gt)
	case s.is("STRUCT") && s.peek(1).Kind == lexer.Lt:
		s.next()
		s.next()
		t.Kind = ast.TypeStruct
		t.Fields = []ast.TypeField{}
		if !s.accept(lexer.Gt) {
			for {
				f := ast.TypeField{Pos: s.pos(), Name: s.identifier()}
				f.Type = s.typ()
				t.Fields = append(t.Fields, f)
				if !s.accept(lexer.Comma) {
					break
				}
			}
			s.expect(lexer.Gt)
		}
	case s.is("DECIMAL"):
		s.next()
		t.Kind = ast.TypeDecimal
		t.Name = ast.Ident{Pos: t.Pos, Name: "DECIMAL", Raw: "DECIMAL"}
		s.expect(lexer.LParen)
		t.Params = append(t.Params, s.typeNumber())
		s.expect(lexer.Comma)
		t.Params = append(t.Params, s.typeNumber())
		s.expect(lexer.RParen)
	default:
		t.Kind = ast.TypeBase
		t.Name = s.identifier()
		if s.accept(lexer.LParen) {
			for {
				switch {
				case s.cur().Kind == lexer.Integer:
					t.Params = append(t.Params, s.next().Text)
				case s.is("STRING"):
					t.Params = append(t.Params, s.next().Value)
				default:
					s.fail("'STRING'", "INTEGER_VALUE")
				}
				if !s.accept(lexer.Comma) {
					break
				}
			}
			if s.cur().Kind != lexer.RParen {
				s.fail("','", "')'")
			}
			s.next()
		}
	}
	return t
}

// typeNumber is the grammar's number rule inside DECIMAL(p, s), kept as
// text for the planner to range-check.
func (s *state) typeNumber() string {
	neg := s.accept(lexer.Minus)
	if !isNumber(s.cur().Kind) {
		s.fail("INTEGER_VALUE")
	}
	text := s.next().Text
	if neg {
		text = "-" + text
	}
	return text
}
