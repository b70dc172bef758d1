package expr

import "github.com/sluicedb/sluice/internal/sql/ast"

// FormatSQL prints e the way ksqlDB's ExpressionFormatter does in error
// messages and generated names: SUBSTRING(SOURCE, 0, 3), (T.ID = 0).
func FormatSQL(e ast.Expr) string { return exprString(e) }
