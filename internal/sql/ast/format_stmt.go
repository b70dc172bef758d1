package ast

import "strconv"

func (f *formatter) selectItem(it SelectItem) {
	switch it := it.(type) {
	case *SelectAll:
		if it.Qualifier != nil {
			f.ident(*it.Qualifier)
			f.w(".")
		}
		f.w("*")
	case *SelectStructAll:
		f.postfixBase(it.Base)
		f.w("->*")
	case *SelectExpr:
		f.expr(it.Expr)
		if it.Alias != nil {
			f.w(" AS ")
			f.ident(*it.Alias)
		}
	}
}

func (f *formatter) aliased(a *AliasedSource) {
	if a == nil {
		f.w("<?>")
		return
	}
	f.ident(a.Name)
	if a.Alias != nil {
		f.w(" AS ")
		f.ident(*a.Alias)
	}
}

var joinKeywords = [...]string{"INNER JOIN", "LEFT OUTER JOIN", "RIGHT OUTER JOIN", "FULL OUTER JOIN"}

func (f *formatter) relation(r Relation) {
	switch r := r.(type) {
	case *AliasedSource:
		f.aliased(r)
	case *JoinRelation:
		f.aliased(r.Left)
		for _, j := range r.Joins {
			if j == nil || int(j.Type) >= len(joinKeywords) {
				f.w(" <?>")
				continue
			}
			f.w(" ", joinKeywords[j.Type], " ")
			f.aliased(j.Source)
			if w := j.Within; w != nil {
				f.w(" WITHIN ")
				if w.After != nil {
					f.w("(")
					f.duration(w.Before)
					f.w(", ")
					f.duration(*w.After)
					f.w(")")
				} else {
					f.duration(w.Before)
				}
				if w.Grace != nil {
					f.w(" GRACE PERIOD ")
					f.duration(*w.Grace)
				}
			}
			f.w(" ON ")
			f.expr(j.On)
		}
	}
}

func (f *formatter) window(w *Window) {
	f.w("WINDOW ", w.Kind.String(), " (")
	if w.Kind != WindowSession {
		f.w("SIZE ")
	}
	f.duration(w.Size)
	if w.Advance != nil {
		f.w(", ADVANCE BY ")
		f.duration(*w.Advance)
	}
	if w.Retention != nil {
		f.w(", RETENTION ")
		f.duration(*w.Retention)
	}
	if w.Grace != nil {
		f.w(", GRACE PERIOD ")
		f.duration(*w.Grace)
	}
	f.w(")")
}

func (f *formatter) query(q *Query) {
	if q == nil {
		f.w("<?>")
		return
	}
	f.w("SELECT ")
	for i, it := range q.Select {
		if i > 0 {
			f.w(", ")
		}
		f.selectItem(it)
	}
	f.w(" FROM ")
	f.relation(q.From)
	if q.Window != nil {
		f.w(" ")
		f.window(q.Window)
	}
	if q.Where != nil {
		f.w(" WHERE ")
		f.expr(q.Where)
	}
	if q.GroupBy != nil {
		f.w(" GROUP BY ")
		f.grouping(q.GroupBy)
	}
	if q.PartitionBy != nil {
		f.w(" PARTITION BY ")
		f.grouping(q.PartitionBy)
	}
	if q.Having != nil {
		f.w(" HAVING ")
		f.expr(q.Having)
	}
	switch q.Emit {
	case EmitChanges:
		f.w(" EMIT CHANGES")
	case EmitFinal:
		f.w(" EMIT FINAL")
	}
	if q.Limit != nil {
		f.w(" LIMIT ", strconv.FormatInt(*q.Limit, 10))
	}
}

func (f *formatter) grouping(es []Expr) {
	if len(es) == 0 {
		f.w("()")
		return
	}
	f.exprs(es)
}

func (f *formatter) streamOrTable(table bool) {
	if table {
		f.w("TABLE ")
	} else {
		f.w("STREAM ")
	}
}

func (f *formatter) flag(on bool, s string) {
	if on {
		f.w(s)
	}
}

func (f *formatter) stmt(s Statement) {
	switch s := s.(type) {
	case *Query:
		f.query(s)
	case *CreateSource:
		f.w("CREATE ")
		f.flag(s.OrReplace, "OR REPLACE ")
		f.flag(s.Source, "SOURCE ")
		f.streamOrTable(s.Table)
		f.flag(s.IfNotExists, "IF NOT EXISTS ")
		f.ident(s.Name)
		if s.Elements != nil {
			f.w(" (")
			for i, e := range s.Elements {
				if i > 0 {
					f.w(", ")
				}
				f.ident(e.Name)
				f.w(" ")
				f.typ(e.Type)
				switch e.Constraint {
				case ConstraintKey:
					f.w(" KEY")
				case ConstraintPrimaryKey:
					f.w(" PRIMARY KEY")
				case ConstraintHeaders:
					f.w(" HEADERS")
				case ConstraintHeader:
					f.w(" HEADER(", QuoteString(e.HeaderKey), ")")
				}
			}
			f.w(")")
		}
		f.props(s.Props)
	case *CreateAsSelect:
		f.w("CREATE ")
		f.flag(s.OrReplace, "OR REPLACE ")
		f.streamOrTable(s.Table)
		f.flag(s.IfNotExists, "IF NOT EXISTS ")
		f.ident(s.Name)
		f.props(s.Props)
		f.w(" AS ")
		f.query(s.Query)
	case *InsertInto:
		f.w("INSERT INTO ")
		f.ident(s.Target)
		f.props(s.Props)
		f.w(" ")
		f.query(s.Query)
	case *InsertValues:
		f.w("INSERT INTO ")
		f.ident(s.Target)
		if s.Columns != nil {
			f.w(" (")
			for i, c := range s.Columns {
				if i > 0 {
					f.w(", ")
				}
				f.ident(c)
			}
			f.w(")")
		}
		f.w(" VALUES (")
		f.exprs(s.Values)
		f.w(")")
	case *DropSource:
		f.w("DROP ")
		f.streamOrTable(s.Table)
		f.flag(s.IfExists, "IF EXISTS ")
		f.ident(s.Name)
		f.flag(s.DeleteTopic, " DELETE TOPIC")
	case *CreateType:
		f.w("CREATE TYPE ")
		f.flag(s.IfNotExists, "IF NOT EXISTS ")
		f.ident(s.Name)
		f.w(" AS ")
		f.typ(s.Type)
	case *DropType:
		f.w("DROP TYPE ")
		f.flag(s.IfExists, "IF EXISTS ")
		f.ident(s.Name)
	case *CreateConnector:
		f.w("CREATE ")
		if s.Sink {
			f.w("SINK")
		} else {
			f.w("SOURCE")
		}
		f.w(" CONNECTOR ")
		f.flag(s.IfNotExists, "IF NOT EXISTS ")
		f.ident(s.Name)
		f.props(s.Props)
	case *DropConnector:
		f.w("DROP CONNECTOR ")
		f.flag(s.IfExists, "IF EXISTS ")
		f.ident(s.Name)
	case *QueryControl:
		f.w(s.Action.String(), " ")
		if s.All {
			f.w("ALL")
		} else {
			f.ident(s.QueryID)
		}
	case *Show:
		f.w("SHOW ")
		switch {
		case s.Kind == ShowConnectors && s.ConnectorType != "":
			f.w(s.ConnectorType, " ")
		case s.Kind == ShowTopics && s.All:
			f.w("ALL ")
		}
		f.w(s.Kind.String())
		f.flag(s.Extended, " EXTENDED")
	case *Describe:
		f.w("DESCRIBE ")
		f.ident(s.Name)
		f.flag(s.Extended, " EXTENDED")
	case *DescribeSources:
		if s.Tables {
			f.w("DESCRIBE TABLES")
		} else {
			f.w("DESCRIBE STREAMS")
		}
		f.flag(s.Extended, " EXTENDED")
	case *DescribeFunction:
		f.w("DESCRIBE FUNCTION ")
		f.ident(s.Name)
	case *DescribeConnector:
		f.w("DESCRIBE CONNECTOR ")
		f.ident(s.Name)
	case *Explain:
		f.w("EXPLAIN ")
		if s.Statement != nil {
			f.stmt(s.Statement)
		} else if s.QueryID != nil {
			f.ident(*s.QueryID)
		}
	case *Print:
		f.w("PRINT ")
		f.resource(s.Topic)
		f.flag(s.FromBeginning, " FROM BEGINNING")
		if s.Interval != nil {
			f.w(" INTERVAL ", strconv.FormatInt(*s.Interval, 10))
		}
		if s.Limit != nil {
			f.w(" LIMIT ", strconv.FormatInt(*s.Limit, 10))
		}
	case *SetProperty:
		f.w("SET ", QuoteString(s.Name), "=", QuoteString(s.Value))
	case *UnsetProperty:
		f.w("UNSET ", QuoteString(s.Name))
	case *AlterSystem:
		f.w("ALTER SYSTEM ", QuoteString(s.Name), "=", QuoteString(s.Value))
	case *DefineVariable:
		f.w("DEFINE ", s.Name, "=", QuoteString(s.Value))
	case *UndefineVariable:
		f.w("UNDEFINE ", s.Name)
	case *RunScript:
		f.w("RUN SCRIPT ", QuoteString(s.Path))
	case *AssertTopic:
		f.w("ASSERT ")
		f.flag(s.NotExists, "NOT EXISTS ")
		f.w("TOPIC ")
		f.resource(s.Topic)
		f.props(s.Props)
		if s.Timeout != nil {
			f.w(" TIMEOUT ")
			f.duration(*s.Timeout)
		}
	case *AssertSchema:
		f.w("ASSERT ")
		f.flag(s.NotExists, "NOT EXISTS ")
		f.w("SCHEMA")
		if s.Subject != nil {
			f.w(" SUBJECT ")
			f.resource(*s.Subject)
		}
		if s.ID != nil {
			f.w(" ID ")
			f.expr(s.ID)
		}
		if s.Timeout != nil {
			f.w(" TIMEOUT ")
			f.duration(*s.Timeout)
		}
	case *AlterSource:
		f.w("ALTER ")
		f.streamOrTable(s.Table)
		f.ident(s.Name)
		for i, c := range s.Columns {
			if i > 0 {
				f.w(",")
			}
			f.w(" ADD COLUMN ")
			f.ident(c.Name)
			f.w(" ")
			f.typ(c.Type)
		}
	default:
		f.w("<?>")
	}
}
