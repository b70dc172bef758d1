package planner

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
)

// joinSide is one joined source as a join's rows lay it out: all its
// columns (key columns first, then value columns) at offset in Row.Val.
type joinSide struct {
	alias  string
	source *catalog.Source
	cols   []catalog.Column
	offset int
	// pseudo counts the trailing cols that are the source's own pseudo
	// columns (ROWTIME, ...), carried only when the query names them
	// qualified, as S1.ROWTIME; SELECT * leaves them out.
	pseudo int
}

// pseudoNames are the pseudo columns a join side can carry, in order.
var pseudoNames = []string{catalog.RowTime, catalog.RowPartition, catalog.RowOffset}

func isPseudo(name string) bool {
	for _, n := range pseudoNames {
		if n == name {
			return true
		}
	}
	return false
}

// qualifiedPseudo lists the pseudo columns q references qualified by the
// source's alias or name, in pseudoNames order.
func qualifiedPseudo(q *ast.Query, alias, name string) []string {
	seen := map[string]bool{}
	if q != nil && len(q.PartitionBy) > 0 {
		// PARTITION BY re-keys the join's full schema, in which ksqlDB
		// carries every source's pseudo columns; SELECT * then has them.
		return pseudoNames
	}
	if q != nil {
		ast.Walk(q, func(n ast.Node) bool {
			if cr, ok := n.(*ast.ColumnRef); ok && cr.Qualifier != nil && (cr.Qualifier.Name == alias || cr.Qualifier.Name == name) && isPseudo(cr.Name.Name) {
				seen[cr.Name.Name] = true
			}
			return true
		})
	}
	var out []string
	for _, n := range pseudoNames {
		if seen[n] {
			out = append(out, n)
		}
	}
	return out
}

// joinSides resolves names over the sources of a join. The join key is
// the one key column of the join's rows; keyQual/keyName say which source
// column the projection uses for it (or a synthetic ROWKEY).
type joinSides struct {
	sides   []joinSide
	keyQual string
	keyName string
	keyCol  catalog.Column
	// keyNames, for a foreign-key join on a left table with several key
	// columns, are all of them (keyName is the first): key column i of
	// the join's rows is keyQual's keyNames[i].
	keyNames  []string
	synthetic bool
	// rekeyedAt, when positive, says the rows were re-keyed (GROUP BY) and
	// the join key now sits in the value at this index.
	rekeyedAt int
}

func (j *joinSides) side(q string) *joinSide {
	for i := range j.sides {
		if j.sides[i].alias == q {
			return &j.sides[i]
		}
	}
	for i := range j.sides {
		if j.sides[i].source.Name == q {
			return &j.sides[i]
		}
	}
	return nil
}

// colIndex finds name in a side, mapping ROWKEY to its single key column
// as queries written for ksqlDB 0.8 expect.
func (s *joinSide) colIndex(name string) int {
	for i, c := range s.cols {
		if c.Name == name {
			return i
		}
	}
	if name == "ROWKEY" {
		keys := s.source.Schema.Key()
		if len(keys) == 1 {
			return s.colIndex(keys[0].Name)
		}
	}
	return -1
}

func (j *joinSides) count(name string) int {
	n := 0
	for i := range j.sides {
		for _, c := range j.sides[i].cols {
			if c.Name == name {
				n++
			}
		}
	}
	return n
}

func (j *joinSides) resolve(sc *scope, qualifier, name string) (expr.Column, error) {
	if qualifier == "" {
		if isPseudo(name) {
			// Unqualified, a pseudo column is the joined row's own.
			return pseudo(sc, qualifier, name)
		}
		if j.synthetic && name == j.keyCol.Name {
			if j.rekeyedAt > 0 {
				return expr.Column{Name: name, Kind: expr.ValueColumn, Index: j.rekeyedAt, Type: j.keyCol.Type}, nil
			}
			return expr.Column{Name: name, Kind: expr.KeyColumn, Type: j.keyCol.Type}, nil
		}
		var found []*joinSide
		for i := range j.sides {
			if j.sides[i].colIndex(name) >= 0 {
				found = append(found, &j.sides[i])
			}
		}
		if len(found) > 1 {
			var names []string
			for _, s := range found {
				names = append(names, s.alias+"."+name)
			}
			return expr.Column{}, fmt.Errorf("Column '%s' is ambiguous. Could be any of: %s", name, strings.Join(names, ", "))
		}
		if len(found) == 1 {
			return j.resolveIn(found[0], name)
		}
		// A generated name from SELECT *: SOURCE_COLUMN.
		for i := range j.sides {
			s := &j.sides[i]
			if strings.HasPrefix(name, s.alias+"_") {
				if s.colIndex(strings.TrimPrefix(name, s.alias+"_")) >= 0 {
					return j.resolveIn(s, strings.TrimPrefix(name, s.alias+"_"))
				}
			}
		}
		return pseudo(sc, qualifier, name)
	}
	s := j.side(qualifier)
	if s == nil {
		return expr.Column{}, fmt.Errorf("'%s' is not a valid stream/table name or alias.", qualifier)
	}
	if s.colIndex(name) < 0 {
		return pseudo(sc, qualifier, name)
	}
	return j.resolveIn(s, name)
}

func (j *joinSides) resolveIn(s *joinSide, name string) (expr.Column, error) {
	i := s.colIndex(name)
	c := s.cols[i]
	if !j.synthetic && s.alias == j.keyQual && len(j.keyNames) > 1 {
		for k, n := range j.keyNames {
			if n != c.Name {
				continue
			}
			if j.rekeyedAt > 0 {
				// Re-keyed by GROUP BY: the side's own copy of the column.
				return expr.Column{Name: s.alias + "_" + c.Name, Kind: expr.ValueColumn, Index: s.offset + i, Type: c.Type}, nil
			}
			return expr.Column{Name: s.alias + "_" + c.Name, Kind: expr.KeyColumn, Index: k, Type: c.Type}, nil
		}
	}
	if !j.synthetic && s.alias == j.keyQual && c.Name == j.keyName {
		if j.rekeyedAt > 0 {
			return expr.Column{Name: j.keyCol.Name, Kind: expr.ValueColumn, Index: j.rekeyedAt, Type: c.Type}, nil
		}
		return expr.Column{Name: j.keyCol.Name, Kind: expr.KeyColumn, Type: c.Type}, nil
	}
	return expr.Column{Name: s.alias + "_" + c.Name, Kind: expr.ValueColumn, Index: s.offset + i, Type: c.Type}, nil
}

// pseudo resolves the pseudo columns every row has.
func pseudo(sc *scope, qualifier, name string) (expr.Column, error) {
	switch name {
	case catalog.RowTime:
		return expr.Column{Name: name, Kind: expr.RowTime, Type: types.BigintType}, nil
	case catalog.RowPartition:
		return expr.Column{Name: name, Kind: expr.RowPartition, Type: types.IntType}, nil
	case catalog.RowOffset:
		return expr.Column{Name: name, Kind: expr.RowOffset, Type: types.BigintType}, nil
	}
	return expr.Column{}, sc.unknown(qualifier, name)
}

// repartitionOrder orders a join's value columns as ksqlDB lays out a
// join result it re-keys (PARTITION BY): each source's columns with its
// pseudo columns and key copied into the value
// (LogicalSchema.withPseudoAndKeyColsInValue), that is its value columns,
// ROWTIME, ROWPARTITION, ROWOFFSET, window bounds, then its key columns,
// each prefixed with the source's alias. Columns it does not place keep
// their order at the end.
func (j *joinSides) repartitionOrder(vals []catalog.Column) []catalog.Column {
	byName := make(map[string]int, len(vals))
	for i, c := range vals {
		byName[c.Name] = i
	}
	used := make([]bool, len(vals))
	out := make([]catalog.Column, 0, len(vals))
	take := func(name string) {
		if i, ok := byName[name]; ok && !used[i] {
			used[i] = true
			out = append(out, vals[i])
		}
	}
	for _, s := range j.sides {
		for _, c := range s.source.Schema.Value() {
			take(s.alias + "_" + c.Name)
		}
		for _, n := range pseudoNames {
			take(s.alias + "_" + n)
		}
		take(s.alias + "_" + catalog.WindowStart)
		take(s.alias + "_" + catalog.WindowEnd)
		for _, c := range s.source.Schema.Key() {
			take(s.alias + "_" + c.Name)
		}
	}
	for i, c := range vals {
		if !used[i] {
			out = append(out, c)
		}
	}
	return out
}

func (j *joinSides) star(q *ast.Ident) []string {
	var out []string
	if q == nil && j.synthetic {
		out = append(out, j.keyCol.Name)
	}
	for _, s := range j.sides {
		if q != nil && q.Name != s.alias && q.Name != s.source.Name {
			continue
		}
		for _, c := range s.cols[:len(s.cols)-s.pseudo] {
			out = append(out, s.alias+"_"+c.Name)
		}
	}
	return out
}

// joined is a planned join: its node, the scope over its output, what the
// result is, and what its projection must contain.
type joined struct {
	node  plan.Node
	scope *scope
	out   *Planned
	req   keyReq
}

// joinInput is one side of a join being planned.
type joinInput struct {
	node     plan.Node
	sides    []joinSide
	table    bool
	windowed bool
	sources  []*catalog.Source
	// equiv holds the qualified column references (as printed) that equal
	// this input's key, for n-way joins that need no repartition.
	equiv map[string]bool
	// keyRef is the input's key column as a qualified reference, when it
	// has exactly one.
	keyRef string
	width  int
}

func (p *Planner) sourceInput(q *ast.Query, as *ast.AliasedSource) (*joinInput, error) {
	src, ok := p.Catalog.Source(as.Name.Name)
	if !ok {
		return nil, fmt.Errorf("%s: Source `%s` does not exist.", posPrefix(as.Name.Pos), as.Name.Name)
	}
	alias := src.Name
	if as.Alias != nil {
		alias = as.Alias.Name
	}
	cols := append([]catalog.Column{}, src.Schema.Key()...)
	if src.Window != catalog.NoWindow {
		// A windowed source's rows carry their bounds, which SELECT *
		// over the join includes as SOURCE_WINDOWSTART/WINDOWEND.
		cols = append(cols,
			catalog.Column{Name: catalog.WindowStart, Type: types.BigintType, Namespace: catalog.Value},
			catalog.Column{Name: catalog.WindowEnd, Type: types.BigintType, Namespace: catalog.Value})
	}
	cols = append(cols, src.Schema.Value()...)
	pseudos := qualifiedPseudo(q, alias, src.Name)
	for _, n := range pseudos {
		t := types.BigintType
		if n == catalog.RowPartition {
			t = types.IntType
		}
		cols = append(cols, catalog.Column{Name: n, Type: t, Namespace: catalog.Value})
	}
	in := &joinInput{
		node:     &plan.Source{Src: src, Alias: alias, Sch: src.Schema},
		sides:    []joinSide{{alias: alias, source: src, cols: cols, pseudo: len(pseudos)}},
		table:    src.Kind == catalog.Table,
		windowed: src.Window != catalog.NoWindow,
		sources:  []*catalog.Source{src},
		equiv:    map[string]bool{},
		width:    len(cols),
	}
	if keys := src.Schema.Key(); len(keys) == 1 {
		in.keyRef = alias + "." + keys[0].Name
		in.equiv[in.keyRef] = true
	}
	return in, nil
}

// planJoin plans a left-deep chain of joins.
func (p *Planner) planJoin(q *ast.Query, jr *ast.JoinRelation) (*joined, error) {
	left, err := p.sourceInput(q, jr.Left)
	if err != nil {
		return nil, err
	}
	// ksqlDB analyzes every source and join criteria before planning any
	// join, so their errors come first.
	rights := make([]*joinInput, len(jr.Joins))
	seen := map[*catalog.Source]bool{left.sources[0]: true}
	for n, j := range jr.Joins {
		if rights[n], err = p.sourceInput(q, j.Source); err != nil {
			return nil, err
		}
		src := rights[n].sources[0]
		if seen[src] {
			if len(seen) > 1 {
				return nil, fmt.Errorf("N-way joins do not support multiple occurrences of the same source. Source: '%s'.", src.Name)
			}
			return nil, fmt.Errorf("Can not join '%s' to '%s': self joins are not yet supported.", src.Name, src.Name)
		}
		seen[src] = true
	}
	prev := &joinInput{sides: append([]joinSide(nil), left.sides...), sources: left.sources}
	for n, j := range jr.Joins {
		if _, err := p.checkCriteria(prev, rights[n], j); err != nil {
			return nil, err
		}
		prev.sides = append(prev.sides, rights[n].sides...)
		prev.sources = append(prev.sources, rights[n].sources...)
	}
	if err := kafkaValueFormat(prev.sides, "JOIN"); err != nil {
		return nil, err
	}
	var viable []string
	var last *plan.Join
	var lastSides *joinSides
	var lastRes *joinResult
	for n, j := range jr.Joins {
		right := rights[n]
		final := n == len(jr.Joins)-1
		res, err := p.joinOne(q, left, right, j, final, fmt.Sprint(n))
		if err != nil {
			return nil, err
		}
		left = res.input
		lastRes = res
		last = res.node
		lastSides = res.sides
		viable = res.viable
	}
	out := &Planned{Sources: left.sources, From: left.sources[0], Table: left.table && last.Kind == plan.TableTable}
	if left.windowed {
		out.Window, out.WindowSize = left.sources[0].Window, left.sources[0].WindowSize
	}
	sc := newScope(last.Sch, left.windowed)
	sc.join = lastSides
	for _, s := range lastSides.sides {
		sc.qualifier[s.alias] = true
		sc.qualifier[s.source.Name] = true
	}
	req := keyReq{what: "join expression", refs: viable, any: true}
	if lastRes.fkTable != "" {
		req = keyReq{fkTable: lastRes.fkTable, refs: lastRes.fkKeys}
	}
	if lastSides.synthetic {
		req.refs = []string{lastSides.keyCol.Name}
		req.note = "\n" + lastSides.keyCol.Name + " was added as a synthetic key column because the join criteria did not match any source column. This expression must be included in the projection and may be aliased. "
	}
	return &joined{node: last, scope: sc, out: out, req: req}, nil
}

type joinResult struct {
	input  *joinInput
	node   *plan.Join
	sides  *joinSides
	viable []string
	// fkTable and fkKeys are set for a foreign-key join: the left table
	// whose primary key columns the projection must include.
	fkTable string
	fkKeys  []string
}

// joinOne joins left with right on j's condition.
func (p *Planner) joinOne(q *ast.Query, left, right *joinInput, j *ast.Join, final bool, id string) (*joinResult, error) {
	if lg, ok := j.On.(*ast.Logical); ok && strings.EqualFold(lg.Op, "AND") {
		return nil, fmt.Errorf("Invalid join condition: joins on multiple conditions are not yet supported. Got %s.", expr.FormatSQL(j.On))
	}
	lsc := p.inputScope(left)
	rsc := p.inputScope(right)
	crit, err := p.checkCriteria(left, right, j)
	if err != nil {
		return nil, err
	}
	lexpr, rexpr := crit.l, crit.r
	kind := plan.StreamStream
	switch {
	case !left.table && right.table:
		kind = plan.StreamTable
	case left.table && right.table:
		kind = plan.TableTable
	case left.table && !right.table:
		return nil, fmt.Errorf("Invalid join order: table-stream joins are not supported; only stream-table joins. Got %s %s %s.", crit.lsrc.Name, joinTypeName(j.Type), right.sources[0].Name)
	}
	jt := map[ast.JoinType]plan.JoinType{ast.JoinInner: plan.InnerJoin, ast.JoinLeft: plan.LeftJoin, ast.JoinRight: plan.RightJoin, ast.JoinFull: plan.OuterJoin}[j.Type]
	if kind == plan.StreamTable && (jt == plan.OuterJoin || jt == plan.RightJoin) {
		return nil, fmt.Errorf("Invalid join type: full-outer join not supported for stream-table join. Got %s %s %s.", crit.lsrc.Name, joinTypeName(j.Type), right.sources[0].Name)
	}
	if kind == plan.StreamStream && j.Within == nil {
		return nil, errors.New("Stream-Stream joins must have a WITHIN clause specified. None was provided. To learn about how to specify a WITHIN clause with a stream-stream join, please visit: https://docs.confluent.io/current/ksql/docs/syntax-reference.html#create-stream-as-select")
	}
	if kind != plan.StreamStream && j.Within != nil {
		return nil, fmt.Errorf("A window definition was provided for a %s join. These joins are not windowed. Please drop the window definition (ie. the WITHIN clause) and try to execute your join again.", map[plan.JoinKind]string{plan.StreamTable: "Stream-Table", plan.TableTable: "Table-Table"}[kind])
	}
	if left.windowed != right.windowed {
		return nil, fmt.Errorf("Can not join windowed source to non-windowed source.\n`%s` is %s\n`%s` is %s", left.sources[0].Name, windowWord(left), right.sources[0].Name, windowWord(right))
	}
	if left.windowed && right.windowed {
		lw, rw := left.sources[0].Window, right.sources[0].Window
		if (lw == catalog.Session) != (rw == catalog.Session) {
			return nil, fmt.Errorf("Incompatible windowed sources.\nLeft source: %s\nRight source: %s\nSession windowed sources can only be joined to other session windowed sources, and may still not result in expected behaviour as session bounds must be an exact match for the join to work\nHopping and tumbling windowed sources can only be joined to other hopping and tumbling windowed sources", strings.ToUpper(lw.String()), strings.ToUpper(rw.String()))
		}
	}
	lce, err := expr.Compile(lexpr, lsc, expr.Options{Functions: p.Functions})
	if err != nil {
		return nil, err
	}
	rce, err := expr.Compile(rexpr, rsc, expr.Options{Functions: p.Functions})
	if err != nil {
		return nil, err
	}
	if !lce.Type.Equal(rce.Type) {
		return nil, fmt.Errorf("Invalid join condition: types don't match. Got %s{%s} = %s{%s}.", qualifyExprText(lexpr, crit.lalias), lce.Type, qualifyExprText(rexpr, crit.ralias), rce.Type)
	}
	lText, rText := p.qualifiedText(lexpr, lsc), p.qualifiedText(rexpr, rsc)
	// A table must be joined on its key: it cannot be repartitioned.
	if right.table && !right.equiv[rText] {
		if kind == plan.StreamTable {
			return nil, fmt.Errorf("Invalid join condition: stream-table joins require to join on the table's primary key. Got %s = %s.", lText, rText)
		}
		return nil, fmt.Errorf("Invalid join condition: table-table joins require to join on the primary key of the right input table. Got %s = %s.", lText, rText)
	}
	if left.table && !left.equiv[lText] {
		if len(left.sides) > 1 {
			return nil, fmt.Errorf("Invalid join condition: foreign-key table-table joins are not supported as part of n-way joins. Got %s = %s.", lText, rText)
		}
		return p.foreignKeyJoin(left, right, lce, rce, lsc, rsc, jt, id, final)
	}
	parts := func(in *joinInput) int32 {
		return max(in.sources[0].Partitions, 1)
	}
	if parts(left) != parts(right) && kind != plan.TableTable || (kind == plan.TableTable && parts(left) != parts(right)) {
		return nil, fmt.Errorf("Can't join `%s` with `%s` since the number of partitions don't match. `%s` partitions = %d; `%s` partitions = %d. Please repartition either one so that the number of partitions match.",
			left.sources[0].Name, right.sources[0].Name, left.sources[0].Name, parts(left), right.sources[0].Name, parts(right))
	}
	if left.windowed {
		if err := windowedRepartition(left, right, !left.equiv[lText], !right.equiv[rText]); err != nil {
			return nil, err
		}
	}
	lnode := p.keyBy(left, lce, lsc, !left.equiv[lText], "L"+id)
	rnode := p.keyBy(right, rce, rsc, !right.equiv[rText], "R"+id)

	// The result's sides: right's offsets shift past left's columns.
	sides := &joinSides{}
	sides.sides = append(sides.sides, left.sides...)
	for _, s := range right.sides {
		s.offset += left.width
		sides.sides = append(sides.sides, s)
	}
	equiv := map[string]bool{}
	for k := range left.equiv {
		if left.equiv[lText] {
			equiv[k] = true
		}
	}
	for k := range right.equiv {
		if right.equiv[rText] {
			equiv[k] = true
		}
	}
	equiv[lText], equiv[rText] = true, true
	// Viable keys: the column references equal to the key, left first;
	// none for a full outer join, whose key may come from either side.
	var viable []string
	if jt != plan.OuterJoin {
		cands := []string{}
		if left.keyRef != "" && equiv[left.keyRef] {
			cands = append(cands, left.keyRef)
		}
		if isColumnRef(lexpr) {
			cands = append(cands, lText)
		}
		if right.keyRef != "" && equiv[right.keyRef] {
			cands = append(cands, right.keyRef)
		}
		if isColumnRef(rexpr) {
			cands = append(cands, rText)
		}
		// In an n-way join every source column the key equals is viable,
		// in the order the sources and their columns appear.
		var ordered []string
		for _, sd := range sides.sides {
			for _, c := range sd.cols {
				if ref := sd.alias + "." + c.Name; equiv[ref] {
					ordered = append(ordered, ref)
				}
			}
		}
		if len(left.sides) > 1 || len(right.sides) > 1 {
			cands = append(ordered, cands...)
		}
		seen := map[string]bool{}
		for _, c := range cands {
			if !seen[c] {
				seen[c] = true
				viable = append(viable, c)
			}
		}
	}
	keyType := lce.Type
	if len(viable) == 0 {
		sides.synthetic = true
		sides.keyCol = catalog.Column{Name: syntheticKeyName(sides), Type: keyType, Namespace: catalog.Key}
	} else {
		chosen := viable[0]
		if final {
			for _, v := range viable {
				if projectionHas(q, v, sides) {
					chosen = v
					break
				}
			}
		}
		qual, name, _ := strings.Cut(chosen, ".")
		sides.keyQual, sides.keyName = qual, canonicalKeyName(sides, qual, name)
		sides.keyCol = catalog.Column{Name: qual + "_" + sides.keyName, Type: keyType, Namespace: catalog.Key}
	}
	if err := checkKeyTypes([]catalog.Column{sides.keyCol}); err != nil {
		return nil, err
	}
	cols := []catalog.Column{sides.keyCol}
	for _, s := range sides.sides {
		for _, c := range s.cols {
			cols = append(cols, catalog.Column{Name: s.alias + "_" + c.Name, Type: c.Type, Namespace: catalog.Value})
		}
	}
	node := &plan.Join{
		Left: lnode, Right: rnode, Type: jt, Kind: kind,
		LeftWidth: left.width, RightWidth: right.width,
		Sch:       catalog.Schema{Columns: cols},
		LeftStore: "Join" + id + "-left", RightStore: "Join" + id + "-right",
		WindowedKeys: left.windowed, SessionKeys: left.windowed && left.sources[0].Window == catalog.Session,
	}
	if j.Within != nil {
		w := &plan.JoinWindow{Before: durationMillis(j.Within.Before), After: durationMillis(j.Within.Before)}
		if j.Within.After != nil {
			w.After = durationMillis(*j.Within.After)
		}
		if j.Within.Grace != nil {
			w.Grace, w.HasGrace = durationMillis(*j.Within.Grace), true
		} else {
			w.Grace = max(day-w.Before-w.After, 0)
		}
		node.Window = w
	}
	in := &joinInput{
		node: node, sides: sides.sides, table: left.table && right.table,
		windowed: left.windowed, sources: append(append([]*catalog.Source{}, left.sources...), right.sources...),
		equiv: equiv, width: left.width + right.width,
	}
	if !sides.synthetic {
		in.keyRef = sides.keyQual + "." + sides.keyName
	}
	return &joinResult{input: in, node: node, sides: sides, viable: viable}, nil
}

func canonicalKeyName(j *joinSides, qual, name string) string {
	if s := j.side(qual); s != nil {
		if i := s.colIndex(name); i >= 0 {
			return s.cols[i].Name
		}
	}
	return name
}

func windowWord(in *joinInput) string {
	if !in.windowed {
		return "not windowed"
	}
	return in.sources[0].Window.String() + " windowed"
}

// joinTypeName spells a join type as ksqlDB's JoinNode.JoinType does.
func joinTypeName(t ast.JoinType) string {
	return map[ast.JoinType]string{ast.JoinInner: "[INNER] JOIN", ast.JoinLeft: "LEFT [OUTER] JOIN", ast.JoinRight: "RIGHT [OUTER] JOIN", ast.JoinFull: "[FULL] OUTER JOIN"}[t]
}

func isColumnRef(e ast.Expr) bool {
	_, ok := e.(*ast.ColumnRef)
	return ok
}

func syntheticKeyName(j *joinSides) string {
	used := map[string]bool{}
	for _, s := range j.sides {
		for _, c := range s.cols {
			used[c.Name] = true
		}
	}
	name := "ROWKEY"
	for i := 1; used[name]; i++ {
		name = fmt.Sprintf("ROWKEY_%d", i)
	}
	return name
}

// projectionHas reports whether the select list names the qualified column
// ref (as "ALIAS.COL").
func projectionHas(q *ast.Query, ref string, sides *joinSides) bool {
	qual, name, _ := strings.Cut(ref, ".")
	for _, it := range q.Select {
		if all, ok := it.(*ast.SelectAll); ok {
			// A star over the source (or all sources) includes the column.
			if all.Qualifier == nil {
				return true
			}
			if s := sides.side(all.Qualifier.Name); s != nil && s.alias == qual {
				return true
			}
			continue
		}
		se, ok := it.(*ast.SelectExpr)
		if !ok {
			continue
		}
		cr, ok := se.Expr.(*ast.ColumnRef)
		if !ok {
			continue
		}
		if cr.Qualifier != nil {
			s := sides.side(cr.Qualifier.Name)
			if s != nil && s.alias == qual && canonicalKeyName(sides, qual, cr.Name.Name) == name {
				return true
			}
			continue
		}
		if cr.Name.Name == name && sides.count(name) == 1 {
			if s := sides.side(qual); s != nil && s.colIndex(name) >= 0 {
				return true
			}
		}
	}
	return false
}

// inputScope resolves names against a join input's rows before keying.
func (p *Planner) inputScope(in *joinInput) *scope {
	if src, ok := in.node.(*plan.Source); ok {
		sc := newScope(src.Sch, in.windowed, src.Src.Name, src.Alias)
		return sc
	}
	sc := newScope(in.node.Schema(), in.windowed)
	js := &joinSides{sides: in.sides, synthetic: true, keyCol: in.node.Schema().Key()[0]}
	if qual, name, ok := strings.Cut(in.keyRef, "."); ok {
		// The join key column reads from the row's key, which a table's
		// tombstone still has when its value is gone.
		js.synthetic, js.keyQual, js.keyName = false, qual, name
	}
	sc.join = js
	for _, s := range in.sides {
		sc.qualifier[s.alias] = true
	}
	return sc
}

// refersTo reports whether e references any column sc resolves.
func refersTo(e ast.Expr, sc *scope) bool {
	found := false
	ast.Walk(e, func(n ast.Node) bool {
		cr, ok := n.(*ast.ColumnRef)
		if !ok {
			return true
		}
		q := ""
		if cr.Qualifier != nil {
			q = cr.Qualifier.Name
		}
		if _, err := sc.Resolve(q, cr.Name.Name); err == nil {
			found = true
		}
		return true
	})
	return found
}

// qualifiedText prints a join expression with its columns qualified, as
// ksqlDB's messages and equivalence sets spell them.
func (p *Planner) qualifiedText(e ast.Expr, sc *scope) string {
	if cr, ok := e.(*ast.ColumnRef); ok {
		q := ""
		if cr.Qualifier != nil {
			q = cr.Qualifier.Name
		}
		if sc.join == nil {
			for a := range sc.qualifier {
				if q == "" || a == q {
					if src := sc.sourceAlias(); src != "" {
						name := cr.Name.Name
						if name == "ROWKEY" {
							if keys := sc.sch.Key(); len(keys) == 1 {
								name = keys[0].Name
							}
						}
						return src + "." + name
					}
					_ = a
				}
			}
		}
		for _, s := range sc.join.sides {
			if q == "" || q == s.alias || q == s.source.Name {
				if i := s.colIndex(cr.Name.Name); i >= 0 {
					return s.alias + "." + s.cols[i].Name
				}
			}
		}
	}
	return expr.FormatSQL(e)
}

// keyBy makes an input's rows carry the join key in Row.Key and all its
// columns in Row.Val, repartitioning when the key changes.
func (p *Planner) keyBy(in *joinInput, key *expr.Expr, sc *scope, repartition bool, id string) plan.Node {
	return p.keyByAll(in, []*expr.Expr{key}, sc, repartition, id)
}

// keyByAll is keyBy with a key of several columns, named JOINKEY,
// JOINKEY_1, ...
func (p *Planner) keyByAll(in *joinInput, keys []*expr.Expr, sc *scope, repartition bool, id string) plan.Node {
	var vals []plan.Column
	if _, ok := in.node.(*plan.Source); ok {
		// The side's columns: key, value, and any pseudo columns named.
		for _, c := range in.sides[0].cols {
			ce, _ := expr.Compile(&ast.ColumnRef{Name: ast.Ident{Name: c.Name, Quoted: true}}, sc, expr.Options{})
			vals = append(vals, plan.Column{Name: c.Name, Expr: ce})
		}
	}
	var node plan.Node
	var keyCols []catalog.Column
	var keyExprs []plan.Column
	for i, key := range keys {
		name := "JOINKEY"
		if i > 0 {
			name = fmt.Sprintf("JOINKEY_%d", i)
		}
		keyCols = append(keyCols, catalog.Column{Name: name, Type: key.Type, Namespace: catalog.Key})
		keyExprs = append(keyExprs, plan.Column{Name: name, Expr: key})
	}
	if vals != nil {
		var valCols []catalog.Column
		for _, v := range vals {
			valCols = append(valCols, catalog.Column{Name: v.Name, Type: v.Expr.Type})
		}
		node = &plan.Project{Input: in.node, Key: keyExprs, Val: vals, Sch: catalog.Schema{Columns: append(keyCols, valCols...)}, Rekey: repartition}
	} else {
		// A join's output already carries every column in Row.Val; only
		// its key changes.
		node = &plan.Project{Input: in.node, Key: keyExprs, KeepVal: true, Sch: in.node.Schema(), Rekey: repartition}
	}
	if repartition {
		node = &plan.Repartition{Input: node, Topic: "Join-" + id + "-repartition", Partitions: max(in.sources[0].Partitions, 1)}
	}
	return node
}

// unresolvedJoinColumn reports the first column of a join criteria that no
// source has, or that several have unqualified, as ksqlDB does before
// checking the criteria's shape.
func unresolvedJoinColumn(on ast.Expr, sides []joinSide) error {
	var err error
	ast.Walk(on, func(n ast.Node) bool {
		cr, ok := n.(*ast.ColumnRef)
		if !ok || err != nil {
			return err == nil
		}
		name := cr.Name.Name
		if cr.Qualifier != nil {
			q := cr.Qualifier.Name
			for i := range sides {
				s := &sides[i]
				if (q == s.alias || q == s.source.Name) && (s.colIndex(name) >= 0 || isPseudo(name)) {
					return true
				}
			}
			err = fmt.Errorf("%s: JOIN ON column '%s.%s' cannot be resolved.", posPrefix(cr.Pos), q, name)
			return false
		}
		var found []string
		for i := range sides {
			if sides[i].colIndex(name) >= 0 {
				found = append(found, sides[i].alias+"."+sides[i].cols[sides[i].colIndex(name)].Name)
			}
		}
		switch {
		case len(found) > 1:
			sort.Strings(found)
			err = fmt.Errorf("Exception while preparing statement: %s: Column '%s' is ambiguous. Could be %s.", posPrefix(cr.Pos), name, orList(found))
		case len(found) == 0 && !isPseudo(name):
			err = fmt.Errorf("%s: JOIN ON column '%s' cannot be resolved.", posPrefix(cr.Pos), name)
		}
		return err == nil
	})
	return err
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// windowedRepartition rejects what ksqlDB cannot do with windowed sources:
// re-key them, or (without a Schema Registry key format, whose joins always
// repartition) bring the right side to the left's windowed key format when
// their windows differ.
func windowedRepartition(left, right *joinInput, lRekey, rRekey bool) error {
	err := errors.New("Implicit repartitioning of windowed sources is not supported. See https://github.com/confluentinc/ksql/issues/4385.")
	if lRekey || rRekey {
		return err
	}
	l, r := left.sources[0], right.sources[0]
	if l.Window == r.Window && l.WindowSize == r.WindowSize {
		return nil
	}
	switch strings.ToUpper(r.KeyFormat.Name) {
	case "AVRO", "JSON_SR", "PROTOBUF":
		return nil
	}
	return err
}

// criteria is a join condition oriented so l reads the joined-so-far
// input and r the source being joined; lsrc is the source l references.
type criteria struct {
	l, r ast.Expr
	lsrc *catalog.Source
	// lalias and ralias are the sources' aliases, which qualify the
	// sides' columns in messages.
	lalias, ralias string
}

// checkCriteria applies ksqlDB's analysis of a join condition: one
// equality, columns that resolve unambiguously, each side referencing
// exactly one source, different sources, one of them the source joined.
func (p *Planner) checkCriteria(left, right *joinInput, j *ast.Join) (criteria, error) {
	if lg, ok := j.On.(*ast.Logical); ok && strings.EqualFold(lg.Op, "AND") {
		return criteria{}, fmt.Errorf("Invalid join condition: joins on multiple conditions are not yet supported. Got %s.", expr.FormatSQL(j.On))
	}
	cmp, ok := j.On.(*ast.Comparison)
	if !ok || cmp.Op != "=" {
		return criteria{}, fmt.Errorf("Unsupported join criteria: %s. Only equality conditions are supported.", expr.FormatSQL(j.On))
	}
	sides := append(append([]joinSide(nil), left.sides...), right.sides...)
	if err := unresolvedJoinColumn(j.On, sides); err != nil {
		return criteria{}, err
	}
	ls, rs := joinRefs(cmp.L, sides), joinRefs(cmp.R, sides)
	for _, x := range []struct {
		e    ast.Expr
		refs []*joinSide
	}{{cmp.L, ls}, {cmp.R, rs}} {
		if len(x.refs) != 1 {
			return criteria{}, fmt.Errorf("Invalid comparison expression '%s' in join '%s'. Each side of the join comparision must contain references from exactly one source.", expr.FormatSQL(x.e), expr.FormatSQL(j.On))
		}
	}
	if ls[0].alias == rs[0].alias {
		return criteria{}, fmt.Errorf("Each side of the join must reference exactly one source and not the same source. Left side references `%s` and right references `%s`", ls[0].alias, rs[0].alias)
	}
	joined := right.sides[0].alias
	switch joined {
	case rs[0].alias:
		return criteria{l: cmp.L, r: cmp.R, lsrc: ls[0].source, lalias: ls[0].alias, ralias: rs[0].alias}, nil
	case ls[0].alias:
		return criteria{l: cmp.R, r: cmp.L, lsrc: rs[0].source, lalias: rs[0].alias, ralias: ls[0].alias}, nil
	}
	return criteria{}, fmt.Errorf("A join criteria is expected to reference the source (`%s`) in the FROM clause, instead the right source references `%s` and the left source references `%s`", joined, rs[0].alias, ls[0].alias)
}

// joinRefs lists the sides e references, in order of the sides.
func joinRefs(e ast.Expr, sides []joinSide) []*joinSide {
	used := map[int]bool{}
	ast.Walk(e, func(n ast.Node) bool {
		cr, ok := n.(*ast.ColumnRef)
		if !ok {
			return true
		}
		for i := range sides {
			s := &sides[i]
			if cr.Qualifier != nil {
				if cr.Qualifier.Name == s.alias || cr.Qualifier.Name == s.source.Name {
					used[i] = true
				}
			} else if s.colIndex(cr.Name.Name) >= 0 {
				used[i] = true
			}
		}
		return true
	})
	var out []*joinSide
	for i := range sides {
		if used[i] {
			out = append(out, &sides[i])
		}
	}
	return out
}

// kafkaValueFormat rejects sources in the KAFKA value format for what
// ksqlDB's analyzer does not support with it (JOIN, GROUP BY).
func kafkaValueFormat(sides []joinSide, what string) error {
	var names []string
	for _, sd := range sides {
		if strings.EqualFold(sd.source.ValueFormat.Name, "KAFKA") {
			names = append(names, sd.alias)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("Source(s) %s are using the 'KAFKA' value format. This format does not yet support %s.\nThe KAFKA format holds a single value, which cannot carry the repartition and changelog records this needs; use JSON, AVRO or PROTOBUF for the values.", strings.Join(names, ", "), what)
}
