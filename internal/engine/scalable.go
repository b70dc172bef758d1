package engine

import (
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// isScalablePush reports whether a push query is what ksqlDB calls a
// scalable push query (ScalablePushUtil): with push v2 enabled, an EMIT
// CHANGES query reading from latest, without GROUP BY, WINDOW, HAVING or
// PARTITION BY, over one source a single persistent query writes, not
// reading ROWPARTITION or ROWOFFSET. Such a query taps the rows the
// persistent query produces from now on; Sluice reads them from its sink
// topic from its end, and names the query as ksqlDB does.
func (e *Engine) isScalablePush(sess *Session, q *ast.Query) bool {
	if !strings.EqualFold(e.property(sess, "ksql.query.push.v2.enabled", "false"), "true") {
		return false
	}
	from, ok := q.From.(*ast.AliasedSource)
	if !ok || q.Emit != ast.EmitChanges || len(q.GroupBy) > 0 || q.Window != nil || q.Having != nil || len(q.PartitionBy) > 0 {
		return false
	}
	if !strings.EqualFold(e.property(sess, "auto.offset.reset", "latest"), "latest") {
		return false
	}
	writers := 0
	for _, cq := range e.cat.Queries() {
		if strings.EqualFold(cq.Sink, from.Name.Name) {
			writers++
		}
	}
	if writers != 1 {
		return false
	}
	for _, it := range q.Select {
		if se, ok := it.(*ast.SelectExpr); ok && len(disallowedPseudoColumns(se.Expr)) > 0 {
			return false
		}
	}
	return q.Where == nil || len(disallowedPseudoColumns(q.Where)) == 0
}

// scalablePushID is a scalable push query's id, random as ksqlDB's is.
func scalablePushID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "SCALABLE_PUSH_QUERY_" + hex.EncodeToString(b[:])
}

// groupAllIfAggregate makes a push query that aggregates without GROUP BY
// aggregate every row into one group, as ksqlDB's transient queries do: it
// groups by a constant, whose key the transient result does not show.
func (e *Engine) groupAllIfAggregate(q *ast.Query) *ast.Query {
	if len(q.GroupBy) > 0 || e.opts.Functions == nil {
		return q
	}
	agg := false
	for _, it := range q.Select {
		se, ok := it.(*ast.SelectExpr)
		if !ok {
			continue
		}
		ast.Walk(se.Expr, func(n ast.Node) bool {
			if fc, ok := n.(*ast.FuncCall); ok {
				if k, ok := e.opts.Functions.KindOf(fc.Name.Name); ok && k == function.Aggregate {
					agg = true
				}
			}
			return !agg
		})
	}
	if !agg {
		return q
	}
	g := *q
	g.GroupBy = []ast.Expr{&ast.IntegerLit{Pos: q.Pos, Value: 1}}
	return &g
}
