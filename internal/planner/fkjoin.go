package planner

import (
	"errors"
	"fmt"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// foreignKeyJoin plans a table-table join whose left expression is not the
// left table's key: Kafka Streams' foreign-key join. The left rows stay
// keyed by their primary key, which keys the result; the right table is
// joined on its own key, so neither side is repartitioned.
func (p *Planner) foreignKeyJoin(left, right *joinInput, lce, rce *expr.Expr, lsc, rsc *scope, jt plan.JoinType, id string) (*joinResult, error) {
	switch jt {
	case plan.RightJoin:
		return nil, errors.New("RIGHT OUTER JOIN on a foreign key is not supported")
	case plan.OuterJoin:
		return nil, errors.New("FULL OUTER JOIN on a foreign key is not supported")
	}
	if right.windowed {
		return nil, errors.New("Foreign-key table-table joins are not supported on windowed tables.")
	}
	src, ok := left.node.(*plan.Source)
	lkeys := left.sources[0].Schema.Key()
	if !ok || len(left.sides) != 1 || len(lkeys) != 1 {
		return nil, fmt.Errorf("foreign-key joins of n-way join results or multi-column keys are %w", errNotSupported)
	}
	alias := left.sides[0].alias
	keyRef := &ast.ColumnRef{Name: ast.Ident{Name: lkeys[0].Name, Quoted: true}}
	lkey, err := expr.Compile(keyRef, lsc, expr.Options{Functions: p.Functions})
	if err != nil {
		return nil, err
	}
	lnode := p.keyBy(left, lkey, lsc, false, "L"+id)
	rnode := p.keyBy(right, rce, rsc, false, "R"+id)
	// The foreign key is evaluated over the keyed left rows, which carry
	// every left column by name in their value.
	ksc := newScope(lnode.Schema(), left.windowed, src.Src.Name, src.Alias)
	fk, err := expr.Compile(lce.Source, ksc, expr.Options{Functions: p.Functions})
	if err != nil {
		return nil, err
	}
	if right.windowed {
		// As ksqlDB's LogicalPlanner, once the join types check.
		return nil, errors.New("Foreign-key table-table joins are not supported on windowed tables.")
	}

	sides := &joinSides{}
	sides.sides = append(sides.sides, left.sides...)
	for _, s := range right.sides {
		s.offset += left.width
		sides.sides = append(sides.sides, s)
	}
	sides.keyQual, sides.keyName = alias, lkeys[0].Name
	sides.keyCol = catalog.Column{Name: alias + "_" + lkeys[0].Name, Type: lkeys[0].Type, Namespace: catalog.Key}
	cols := []catalog.Column{sides.keyCol}
	for _, s := range sides.sides {
		for _, c := range s.cols {
			cols = append(cols, catalog.Column{Name: s.alias + "_" + c.Name, Type: c.Type, Namespace: catalog.Value})
		}
	}
	node := &plan.Join{
		Left: lnode, Right: rnode, Type: jt, Kind: plan.TableTable,
		LeftWidth: left.width, RightWidth: right.width,
		Sch:       catalog.Schema{Columns: cols},
		LeftStore: "KTable-FK-JOIN-" + id + "-left", RightStore: "KTable-FK-JOIN-" + id + "-right",
		ForeignKey: fk, LeftKeys: len(lkeys),
	}
	ref := alias + "." + lkeys[0].Name
	in := &joinInput{
		node: node, sides: sides.sides, table: true,
		windowed: left.windowed, sources: append(append([]*catalog.Source{}, left.sources...), right.sources...),
		equiv: map[string]bool{ref: true}, width: left.width + right.width, keyRef: ref,
	}
	return &joinResult{input: in, node: node, sides: sides, viable: []string{ref}, fkTable: left.sources[0].Name, fkKeys: []string{lkeys[0].Name}}, nil
}
