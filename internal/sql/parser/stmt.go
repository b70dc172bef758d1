package parser

import (
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/lexer"
)

// statementStarts are the words that begin a statement, used by EXPLAIN to
// tell "EXPLAIN statement" from "EXPLAIN query_id".
var statementStarts = map[string]bool{
	"SELECT": true, "LIST": true, "SHOW": true, "DESCRIBE": true, "PRINT": true,
	"TERMINATE": true, "PAUSE": true, "RESUME": true, "SET": true, "ALTER": true,
	"UNSET": true, "DEFINE": true, "UNDEFINE": true, "CREATE": true, "INSERT": true,
	"DROP": true, "EXPLAIN": true, "ASSERT": true,
}

func (s *state) statement() ast.Statement {
	t := s.cur()
	pos := s.pos()
	if t.Kind == lexer.Illegal {
		s.fail()
	}
	if t.Kind != lexer.Ident {
		s.failAt(t, nil, "Syntax Error\nUnknown statement '"+tokenText(t)+"'")
	}
	switch t.Value {
	case "SELECT":
		return s.query()
	case "LIST", "SHOW":
		s.next()
		return s.show(pos)
	case "DESCRIBE":
		s.next()
		return s.describe(pos)
	case "PRINT":
		s.next()
		return s.print(pos)
	case "TERMINATE", "PAUSE", "RESUME":
		s.next()
		qc := &ast.QueryControl{Pos: pos}
		switch t.Value {
		case "PAUSE":
			qc.Action = ast.ActionPause
		case "RESUME":
			qc.Action = ast.ActionResume
		}
		if s.acceptKw("ALL") {
			qc.All = true
		} else {
			qc.QueryID = s.identifier()
		}
		return qc
	case "SET":
		s.next()
		name := s.propName()
		s.expect(lexer.Eq)
		return &ast.SetProperty{Pos: pos, Name: name, Value: s.propName()}
	case "UNSET":
		s.next()
		return &ast.UnsetProperty{Pos: pos, Name: s.propName()}
	case "ALTER":
		s.next()
		return s.alter(pos)
	case "DEFINE":
		s.next()
		name := s.variableName()
		s.expect(lexer.Eq)
		return &ast.DefineVariable{Pos: pos, Name: name, Value: s.stringLit()}
	case "UNDEFINE":
		s.next()
		return &ast.UndefineVariable{Pos: pos, Name: s.variableName()}
	case "CREATE":
		s.next()
		return s.create(pos)
	case "INSERT":
		s.next()
		return s.insert(pos)
	case "DROP":
		s.next()
		return s.drop(pos)
	case "EXPLAIN":
		s.next()
		if n := s.cur(); n.Kind == lexer.Ident && statementStarts[n.Value] {
			return &ast.Explain{Pos: pos, Statement: s.statement()}
		}
		return &ast.Explain{Pos: pos, QueryID: s.optIdent()}
	case "ASSERT":
		s.next()
		return s.assert(pos)
	case "RUN":
		if s.opts.AllowRunScript && s.peek(1).Is("SCRIPT") {
			s.next()
			s.next()
			return &ast.RunScript{Pos: pos, Path: s.stringLit()}
		}
	}
	s.failAt(t, nil, "Syntax Error\nUnknown statement '"+tokenText(t)+"'")
	return nil
}

// propName is (VARIABLE | STRING) in SET and UNSET.
func (s *state) propName() string {
	switch s.cur().Kind {
	case lexer.String:
		return s.next().Value
	case lexer.Variable:
		return s.next().Text
	}
	s.fail("STRING", "VARIABLE")
	return ""
}

// variableName is a plain unquoted word. ksqlDB lets keywords, even
// reserved ones, name variables; quoted names cannot.
func (s *state) variableName() string {
	t := s.cur()
	if t.Kind != lexer.Ident {
		s.fail("IDENTIFIER")
	}
	s.next()
	return t.Text
}

func (s *state) show(pos ast.Pos) ast.Statement {
	sh := &ast.Show{Pos: pos}
	t := s.cur()
	switch {
	case s.acceptKw("PROPERTIES"):
		sh.Kind = ast.ShowProperties
	case s.is("ALL") && s.peek(1).Is("TOPICS"):
		s.next()
		s.next()
		sh.Kind, sh.All = ast.ShowTopics, true
		sh.Extended = s.acceptKw("EXTENDED")
	case s.acceptKw("TOPICS"):
		sh.Kind = ast.ShowTopics
		sh.All = s.acceptKw("ALL")
		sh.Extended = s.acceptKw("EXTENDED")
	case s.acceptKw("STREAMS"):
		sh.Kind = ast.ShowStreams
		sh.Extended = s.acceptKw("EXTENDED")
	case s.acceptKw("TABLES"):
		sh.Kind = ast.ShowTables
		sh.Extended = s.acceptKw("EXTENDED")
	case s.acceptKw("QUERIES"):
		sh.Kind = ast.ShowQueries
		sh.Extended = s.acceptKw("EXTENDED")
	case s.acceptKw("FUNCTIONS"):
		sh.Kind = ast.ShowFunctions
	case s.acceptKw("TYPES"):
		sh.Kind = ast.ShowTypes
	case s.acceptKw("VARIABLES"):
		sh.Kind = ast.ShowVariables
	case s.is("SOURCE") || s.is("SINK"):
		sh.ConnectorType = s.next().Value
		s.expectKw("CONNECTORS")
		sh.Kind = ast.ShowConnectors
	case s.acceptKw("CONNECTORS"):
		sh.Kind = ast.ShowConnectors
	case s.is("CONNECTOR") && s.peek(1).Is("PLUGINS"):
		s.next()
		s.next()
		sh.Kind = ast.ShowConnectorPlugins
	default:
		s.failAt(t, nil, "Syntax Error\nmismatched input '"+tokenText(t)+"' expecting {'PROPERTIES', 'ALL', 'TOPICS', 'STREAMS', 'TABLES', 'FUNCTIONS', 'SOURCE', 'SINK', 'CONNECTORS', 'CONNECTOR', 'TYPES', 'VARIABLES', 'QUERIES'}")
	}
	return sh
}

// atEnd reports whether the statement ends at the current token.
func (s *state) atEnd() bool {
	k := s.cur().Kind
	return k == lexer.Semicolon || k == lexer.EOF
}

func (s *state) describe(pos ast.Pos) ast.Statement {
	switch {
	case s.is("STREAMS") || (s.is("TABLES") && (s.peek(1).Is("EXTENDED") || isEnd(s.peek(1)))):
		tables := s.next().Value == "TABLES"
		return &ast.DescribeSources{Pos: pos, Tables: tables, Extended: s.acceptKw("EXTENDED")}
	case s.is("FUNCTION") && isIdentStart(s.peek(1)):
		s.next()
		return &ast.DescribeFunction{Pos: pos, Name: s.identifier()}
	case s.acceptKw("CONNECTOR"):
		return &ast.DescribeConnector{Pos: pos, Name: s.identifier()}
	}
	// "DESCRIBE EXTENDED name" is the form ksqlDB's older releases
	// documented; EXTENDED is reserved, so it cannot be a source name.
	if s.is("EXTENDED") && isIdentStart(s.peek(1)) {
		s.next()
		return &ast.Describe{Pos: pos, Name: s.sourceName(), Extended: true}
	}
	d := &ast.Describe{Pos: pos, Name: s.sourceName()}
	d.Extended = s.acceptKw("EXTENDED")
	return d
}

func isEnd(t lexer.Token) bool { return t.Kind == lexer.Semicolon || t.Kind == lexer.EOF }

func (s *state) print(pos ast.Pos) ast.Statement {
	p := &ast.Print{Pos: pos, Topic: s.resourceName()}
	if s.acceptKw("FROM") {
		s.expectKw("BEGINNING")
		p.FromBeginning = true
	}
	if s.acceptKw("INTERVAL") || s.acceptKw("SAMPLE") {
		v := s.intClause("INTERVAL")
		p.Interval = &v
	}
	if s.acceptKw("LIMIT") {
		v := s.intClause("LIMIT")
		p.Limit = &v
	}
	return p
}

func (s *state) alter(pos ast.Pos) ast.Statement {
	if s.acceptKw("SYSTEM") {
		name := s.stringLit()
		s.expect(lexer.Eq)
		return &ast.AlterSystem{Pos: pos, Name: name, Value: s.stringLit()}
	}
	a := &ast.AlterSource{Pos: pos}
	switch {
	case s.acceptKw("STREAM"):
	case s.acceptKw("TABLE"):
		a.Table = true
	default:
		s.fail("'STREAM'", "'TABLE'", "'SYSTEM'")
	}
	a.Name = s.sourceName()
	for {
		c := ast.AlterColumn{Pos: s.pos()}
		s.expectKw("ADD")
		s.acceptKw("COLUMN")
		c.Name = s.identifier()
		c.Type = s.typ()
		a.Columns = append(a.Columns, c)
		if !s.accept(lexer.Comma) {
			return a
		}
	}
}

func (s *state) ifNotExists() bool {
	if s.is("IF") && s.peek(1).Is("NOT") {
		s.next()
		s.next()
		s.expectKw("EXISTS")
		return true
	}
	return false
}

func (s *state) ifExists() bool {
	if s.is("IF") && s.peek(1).Is("EXISTS") {
		s.next()
		s.next()
		return true
	}
	return false
}

func (s *state) create(pos ast.Pos) ast.Statement {
	orReplace := false
	if s.acceptKw("OR") {
		s.expectKw("REPLACE")
		orReplace = true
	}
	if !orReplace {
		switch {
		case s.is("TYPE"):
			s.next()
			ct := &ast.CreateType{Pos: pos, IfNotExists: s.ifNotExists()}
			ct.Name = s.identifier()
			s.expectKw("AS")
			ct.Type = s.typ()
			return ct
		case (s.is("SOURCE") || s.is("SINK")) && s.peek(1).Is("CONNECTOR"):
			sink := s.next().Value == "SINK"
			s.next()
			cc := &ast.CreateConnector{Pos: pos, Sink: sink, IfNotExists: s.ifNotExists()}
			cc.Name = s.identifier()
			s.expectKw("WITH")
			cc.Props = s.properties()
			return cc
		}
	}
	source := s.acceptKw("SOURCE")
	var table bool
	switch {
	case s.acceptKw("STREAM"):
	case s.acceptKw("TABLE"):
		table = true
	default:
		if source || orReplace {
			s.fail("'STREAM'", "'TABLE'")
		}
		s.fail("'STREAM'", "'TABLE'", "'TYPE'", "'SOURCE'", "'SINK'", "'OR'")
	}
	ifNot := s.ifNotExists()
	name := s.sourceName()
	var elems []ast.TableElement
	if s.cur().Kind == lexer.LParen {
		elems = s.tableElements()
	}
	props := s.optWith()
	if !source && elems == nil && s.is("AS") {
		s.next()
		return &ast.CreateAsSelect{Pos: pos, Table: table, OrReplace: orReplace, IfNotExists: ifNot,
			Name: name, Props: props, Query: s.query()}
	}
	return &ast.CreateSource{Pos: pos, Table: table, OrReplace: orReplace, Source: source,
		IfNotExists: ifNot, Name: name, Elements: elems, Props: props}
}

func (s *state) tableElements() []ast.TableElement {
	s.expect(lexer.LParen)
	var out []ast.TableElement
	for {
		e := ast.TableElement{Pos: s.pos(), Name: s.identifier()}
		e.Type = s.typ()
		switch {
		case s.is("PRIMARY"):
			s.next()
			s.expectKw("KEY")
			e.Constraint = ast.ConstraintPrimaryKey
		case s.acceptKw("KEY"):
			e.Constraint = ast.ConstraintKey
		case s.acceptKw("HEADERS"):
			e.Constraint = ast.ConstraintHeaders
		case s.acceptKw("HEADER"):
			s.expect(lexer.LParen)
			e.HeaderKey = s.stringLit()
			s.expect(lexer.RParen)
			e.Constraint = ast.ConstraintHeader
		}
		out = append(out, e)
		if !s.accept(lexer.Comma) {
			break
		}
	}
	if s.cur().Kind != lexer.RParen {
		s.fail("','", "')'")
	}
	s.next()
	return out
}

func (s *state) insert(pos ast.Pos) ast.Statement {
	s.expectKw("INTO")
	target := s.sourceName()
	switch {
	case s.is("WITH") || s.is("SELECT"):
		props := s.optWith()
		return &ast.InsertInto{Pos: pos, Target: target, Props: props, Query: s.query()}
	case s.cur().Kind == lexer.LParen || s.is("VALUES"):
		iv := &ast.InsertValues{Pos: pos, Target: target}
		if s.accept(lexer.LParen) {
			for {
				iv.Columns = append(iv.Columns, s.identifier())
				if !s.accept(lexer.Comma) {
					break
				}
			}
			s.expect(lexer.RParen)
		}
		s.expectKw("VALUES")
		s.expect(lexer.LParen)
		if !s.accept(lexer.RParen) {
			for {
				iv.Values = append(iv.Values, s.valueExpr())
				if !s.accept(lexer.Comma) {
					break
				}
			}
			s.expect(lexer.RParen)
		}
		return iv
	}
	s.fail("'WITH'", "'SELECT'", "'('", "'VALUES'")
	return nil
}

func (s *state) drop(pos ast.Pos) ast.Statement {
	switch {
	case s.is("STREAM") || s.is("TABLE"):
		d := &ast.DropSource{Pos: pos, Table: s.next().Value == "TABLE"}
		d.IfExists = s.ifExists()
		d.Name = s.sourceName()
		if s.acceptKw("DELETE") {
			s.expectKw("TOPIC")
			d.DeleteTopic = true
		}
		return d
	case s.acceptKw("CONNECTOR"):
		d := &ast.DropConnector{Pos: pos, IfExists: s.ifExists()}
		d.Name = s.identifier()
		return d
	case s.acceptKw("TYPE"):
		d := &ast.DropType{Pos: pos, IfExists: s.ifExists()}
		d.Name = s.identifier()
		return d
	}
	s.fail("'STREAM'", "'TABLE'", "'CONNECTOR'", "'TYPE'")
	return nil
}

func (s *state) assert(pos ast.Pos) ast.Statement {
	not := false
	if s.acceptKw("NOT") {
		s.expectKw("EXISTS")
		not = true
	}
	switch {
	case s.acceptKw("TOPIC"):
		a := &ast.AssertTopic{Pos: pos, NotExists: not, Topic: s.resourceName()}
		a.Props = s.optWith()
		if s.is("TIMEOUT") {
			a.Timeout = s.optDuration("TIMEOUT")
		}
		return a
	case s.acceptKw("SCHEMA"):
		a := &ast.AssertSchema{Pos: pos, NotExists: not}
		if s.acceptKw("SUBJECT") {
			r := s.resourceName()
			a.Subject = &r
		}
		if s.acceptKw("ID") {
			a.ID = s.literal()
		}
		if s.is("TIMEOUT") {
			a.Timeout = s.optDuration("TIMEOUT")
		}
		return a
	}
	if t := s.cur(); t.Kind == lexer.Ident && lexer.IsReserved(t.Value) {
		s.failReserved(t)
	}
	s.fail("'NOT'", "'TOPIC'", "'SCHEMA'")
	return nil
}
