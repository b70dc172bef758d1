package expr

import "github.com/sluicedb/sluice/internal/sql/ast"

// FormatSQL prints e the way ksqlDB's ExpressionFormatter does in error
// messages and generated names: SUBSTRING(SOURCE, 0, 3), (T.ID = 0).
func FormatSQL(e ast.Expr) string { return exprString(e) }

// FormatSQLQualified is FormatSQL with every unqualified column reference
// qualified by qualify(name), unless that returns "": the form ksqlDB's
// AstSanitizer gives a statement (TEST.F1) before it is formatted again.
func FormatSQLQualified(e ast.Expr, qualify func(name string) string) string {
	b := exprWriter{qualify: qualify}
	writeExpr(&b, e)
	return b.String()
}
