package parser_test

import (
	"errors"
	"testing"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
)

// FuzzParse checks that the parser never panics, that every error is a
// positioned *parser.Error, and that parse → format → parse is stable.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM s EMIT CHANGES;",
		"CREATE STREAM s (id INT KEY, v STRUCT<a ARRAY<MAP<STRING, DECIMAL(4,2)>>>) WITH (kafka_topic='t', value_format='JSON');",
		"CREATE TABLE t AS SELECT k, COUNT(*) FROM s WINDOW HOPPING (SIZE 1 MINUTE, ADVANCE BY 10 SECONDS) GROUP BY k EMIT FINAL;",
		"SELECT a->b[1], CASE WHEN x BETWEEN 1 AND 2 THEN 'a''b' ELSE NULL END, TRANSFORM(xs, (k, v) => k || v) FROM s1 LEFT JOIN s2 WITHIN (1 SECOND, 2 HOURS) ON s1.k = s2.k WHERE NOT a IS DISTINCT FROM -1.5e3;",
		"INSERT INTO t (a, `b``c`) VALUES (1, ARRAY[1], MAP('k' := 1), STRUCT(x := -9223372036854775808));",
		"SHOW ALL TOPICS EXTENDED; DESCRIBE FUNCTION f; PRINT 'x' FROM BEGINNING LIMIT 1; SET 'a'='b'; DEFINE v = 'x';",
		"ASSERT NOT EXISTS SCHEMA SUBJECT 's' ID 1 TIMEOUT 3 SECONDS; ALTER TABLE t ADD COLUMN c INT;",
		"SELECT f(\"q\"\"x\") /* c */ -- d\nFROM t PARTITION BY (a, b) LIMIT 2;",
	} {
		f.Add(s)
	}
	p := parser.New(parser.Options{AllowRunScript: true})
	f.Fuzz(func(t *testing.T, sql string) {
		stmts, err := p.ParseStatements(sql)
		if err != nil {
			var pe *parser.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *parser.Error", err, err)
			}
			if pe.Pos.Line < 1 || pe.Pos.Col < 1 || pe.Pos.Offset < 0 || pe.Pos.Offset > len(sql) {
				t.Fatalf("error without a valid position: %+v", pe)
			}
			_ = pe.Detail()
			return
		}
		for _, s := range stmts {
			checkRoundTrip(t, p, s.Text, s.Stmt)
			ast.Walk(s.Stmt, func(ast.Node) bool { return true })
		}
	})
}
