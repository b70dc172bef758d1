package planner

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// foreignKeyJoin plans a table-table join whose left expression is not the
// left table's key: Kafka Streams' foreign-key join. The left rows stay
// keyed by their primary key (all its columns), which keys the result;
// the right table is joined on its own key. The two sides meet through a
// subscription topic partitioned like the right table and a response
// topic partitioned like the left, so their partition counts may differ.
func (p *Planner) foreignKeyJoin(left, right *joinInput, lce, rce *expr.Expr, lsc, rsc *scope, jt plan.JoinType, id string, final bool) (*joinResult, error) {
	switch jt {
	case plan.RightJoin:
		return nil, errors.New("RIGHT OUTER JOIN on a foreign key is not supported")
	case plan.OuterJoin:
		return nil, errors.New("FULL OUTER JOIN on a foreign key is not supported")
	}
	if right.windowed {
		// As ksqlDB's LogicalPlanner, once the join types check.
		return nil, errors.New("Foreign-key table-table joins are not supported on windowed tables.")
	}
	src, ok := left.node.(*plan.Source)
	lkeys := left.sources[0].Schema.Key()
	if !ok || len(left.sides) != 1 || len(lkeys) == 0 {
		return nil, fmt.Errorf("foreign-key joins of n-way join results or keyless tables are %w", errNotSupported)
	}
	if len(lkeys) > 1 && !final {
		return nil, fmt.Errorf("n-way joins after a foreign-key join on a table with several key columns are %w", errNotSupported)
	}
	alias := left.sides[0].alias
	var keys []*expr.Expr
	for _, k := range lkeys {
		ke, err := expr.Compile(&ast.ColumnRef{Name: ast.Ident{Name: k.Name, Quoted: true}}, lsc, expr.Options{Functions: p.Functions})
		if err != nil {
			return nil, err
		}
		keys = append(keys, ke)
	}
	lnode := p.keyByAll(left, keys, lsc, false, "L"+id)
	// The subscriptions must reach the partition that holds the right row
	// they name. A key in a Schema Registry format serializes with a
	// schema id that need not be the producers', so, as ksqlDB does, the
	// right table is repartitioned by its key in Sluice's own encoding.
	rnode := p.keyBy(right, rce, rsc, schemaRegistryFormat(right.sources[0].KeyFormat.Name), "R"+id)
	// The foreign key is evaluated over the keyed left rows, which carry
	// every left column by name in their value.
	ksc := newScope(lnode.Schema(), left.windowed, src.Src.Name, src.Alias)
	fk, err := expr.Compile(lce.Source, ksc, expr.Options{Functions: p.Functions})
	if err != nil {
		return nil, err
	}

	sides := &joinSides{}
	sides.sides = append(sides.sides, left.sides...)
	for _, s := range right.sides {
		s.offset += left.width
		sides.sides = append(sides.sides, s)
	}
	var cols []catalog.Column
	var names []string
	for _, k := range lkeys {
		cols = append(cols, catalog.Column{Name: alias + "_" + k.Name, Type: k.Type, Namespace: catalog.Key})
		names = append(names, k.Name)
	}
	sides.keyQual, sides.keyName, sides.keyCol = alias, lkeys[0].Name, cols[0]
	if len(lkeys) > 1 {
		sides.keyNames = names
	}
	for _, s := range sides.sides {
		for _, c := range s.cols {
			cols = append(cols, catalog.Column{Name: s.alias + "_" + c.Name, Type: c.Type, Namespace: catalog.Value})
		}
	}
	n, _ := strconv.Atoi(id)
	// Kafka Streams numbers these after the processors of the topology;
	// these are its numbers for a join of two plain tables.
	num := func(base int) string { return fmt.Sprintf("%010d", base+16*n) }
	node := &plan.Join{
		Left: lnode, Right: rnode, Type: jt, Kind: plan.TableTable,
		LeftWidth: left.width, RightWidth: right.width,
		Sch:               catalog.Schema{Columns: cols},
		LeftStore:         "KTABLE-FK-JOIN-LEFT-STATE-STORE-" + num(8),
		RightStore:        "KTABLE-FK-JOIN-RIGHT-STATE-STORE-" + num(12),
		SubscriptionStore: "KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-" + num(10),
		SubscriptionTopic: "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-" + num(6) + "-topic",
		ResponseTopic:     "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-" + num(14) + "-topic",
		ForeignKey:        fk,
	}
	in := &joinInput{
		node: node, sides: sides.sides, table: true,
		windowed: left.windowed, sources: append(append([]*catalog.Source{}, left.sources...), right.sources...),
		equiv: map[string]bool{}, width: left.width + right.width,
	}
	var viable []string
	if len(lkeys) == 1 {
		ref := alias + "." + lkeys[0].Name
		in.equiv[ref], in.keyRef, viable = true, ref, []string{ref}
	}
	return &joinResult{input: in, node: node, sides: sides, viable: viable, fkTable: left.sources[0].Name, fkKeys: names}, nil
}

// schemaRegistryFormat reports a key format whose serialized form embeds a
// Schema Registry id.
func schemaRegistryFormat(name string) bool {
	switch strings.ToUpper(name) {
	case "AVRO", "JSON_SR", "PROTOBUF":
		return true
	}
	return false
}
