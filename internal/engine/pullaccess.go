package engine

import (
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/stream/op"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// A pull query on a materialized table reads its store by the cheapest
// access the WHERE clause allows, as ksqlDB's pull query planner picks a
// KeyedTableLookupOperator, a range scan or a TableScanOperator: key
// lookups when every disjunct pins every key column with an equality (an
// IN list or an OR of equalities is several lookups), a key range when the
// only disjunct bounds the one key column, and a scan otherwise. For a
// windowed table, bounds on WINDOWSTART narrow each key's window range.
// The access only chooses which rows to read: the query's whole WHERE
// clause and projection run on every row read, so an access that reads
// more than it must is slower, never wrong.

type accessKind int

const (
	accessScan accessKind = iota
	accessLookup
	accessRange
)

// pullAccess is how a pull query reads a table's store.
type pullAccess struct {
	kind accessKind
	// keys are the key tuples of a lookup, deduplicated.
	keys [][]value.Value
	// lo and hi bound a range scan on the store key; hi is exclusive and
	// either may be nil for unbounded.
	lo, hi []byte
	// winLo and winHi bound WINDOWSTART (inclusive) for lookups on a
	// windowed table.
	winLo, winHi int64
}

// planAccess analyses where (nil for none) over table src.
func planAccess(src *catalog.Source, where ast.Expr) pullAccess {
	scan := pullAccess{kind: accessScan}
	keys := src.Schema.Key()
	if where == nil || len(keys) == 0 {
		return scan
	}
	disjuncts := dnf(where)
	acc := pullAccess{kind: accessLookup, winLo: minTime, winHi: maxTime}
	seen := map[string]bool{}
	for di, d := range disjuncts {
		eq := make([]value.Value, len(keys))
		isEq := make([]bool, len(keys))
		pinned := 0
		var lo, hi []byte
		ranged := false
		winLo, winHi := int64(minTime), int64(maxTime)
		for _, leaf := range d {
			c, ok := leaf.(*ast.Comparison)
			if !ok {
				continue
			}
			name, opr, lit, ok := orient(c)
			if !ok {
				continue
			}
			if name == catalog.WindowStart && src.Window != catalog.NoWindow {
				if n, ok := lit.(*ast.IntegerLit); ok {
					winLo, winHi = narrowTime(winLo, winHi, opr, n.Value)
				}
				continue
			}
			idx := -1
			for i, k := range keys {
				if k.Name == name {
					idx = i
				}
			}
			if idx < 0 {
				continue
			}
			v, ok := keyLiteral(lit, keys[idx].Type)
			if !ok {
				continue
			}
			enc := value.AppendKey(nil, v)
			switch opr {
			case "=":
				if !isEq[idx] {
					pinned++
				}
				eq[idx], isEq[idx] = v, true
			case ">=":
				lo, ranged = maxBytes(lo, enc), true
			case ">":
				lo, ranged = maxBytes(lo, prefixEnd(enc)), true
			case "<":
				hi, ranged = minBytes(hi, enc), true
			case "<=":
				hi, ranged = minBytes(hi, prefixEnd(enc)), true
			}
		}
		if pinned == len(keys) {
			k := string(op.AppendStoreKey(nil, eq, nil))
			if !seen[k] {
				seen[k] = true
				acc.keys = append(acc.keys, eq)
			}
			// Window bounds narrow only when every disjunct agrees on them.
			if di == 0 {
				acc.winLo, acc.winHi = winLo, winHi
			} else if acc.winLo != winLo || acc.winHi != winHi {
				acc.winLo, acc.winHi = minTime, maxTime
			}
			continue
		}
		if len(disjuncts) == 1 && len(keys) == 1 && ranged {
			return pullAccess{kind: accessRange, lo: lo, hi: hi}
		}
		return scan
	}
	return acc
}

const (
	minTime = -1 << 63
	maxTime = 1<<63 - 1
)

// orient returns the column a comparison tests, the operator with the
// column on the left, and the literal it is compared with.
func orient(c *ast.Comparison) (string, string, ast.Expr, bool) {
	if l, ok := c.L.(*ast.ColumnRef); ok && !hasColumnRef(c.R) {
		return l.Name.Name, c.Op, c.R, true
	}
	if r, ok := c.R.(*ast.ColumnRef); ok && !hasColumnRef(c.L) {
		flip := map[string]string{"=": "=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
		o, ok := flip[c.Op]
		return r.Name.Name, o, c.L, ok
	}
	return "", "", nil, false
}

// keyLiteral converts a literal to the value a key column of type t holds,
// when that is exact; other literals leave the access to a scan.
func keyLiteral(e ast.Expr, t *types.Type) (value.Value, bool) {
	switch x := e.(type) {
	case *ast.StringLit:
		if t.Kind == types.String {
			return value.String(x.Value), true
		}
	case *ast.IntegerLit:
		switch t.Kind {
		case types.Int:
			if int64(int32(x.Value)) == x.Value {
				return value.Int(int32(x.Value)), true
			}
		case types.Bigint:
			return value.Bigint(x.Value), true
		case types.Double:
			return value.Double(float64(x.Value)), true
		}
	case *ast.DecimalLit:
		if t.Kind == types.Double {
			if f, err := strconv.ParseFloat(x.Text, 64); err == nil {
				return value.Double(f), true
			}
		}
	case *ast.DoubleLit:
		if t.Kind == types.Double {
			return value.Double(x.Value), true
		}
	}
	return value.Null, false
}

// narrowTime intersects [lo, hi] with "WINDOWSTART op v".
func narrowTime(lo, hi int64, opr string, v int64) (int64, int64) {
	switch opr {
	case "=":
		return max(lo, v), min(hi, v)
	case ">=":
		return max(lo, v), hi
	case ">":
		if v < maxTime {
			return max(lo, v+1), hi
		}
	case "<=":
		return lo, min(hi, v)
	case "<":
		if v > minTime {
			return lo, min(hi, v-1)
		}
	}
	return lo, hi
}

// prefixEnd returns the smallest key greater than every key with prefix
// p, or nil (unbounded) when there is none.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

func maxBytes(a, b []byte) []byte {
	if a == nil || strings.Compare(string(b), string(a)) > 0 {
		return b
	}
	return a
}

func minBytes(a, b []byte) []byte {
	if b == nil {
		return a
	}
	if a == nil || strings.Compare(string(b), string(a)) < 0 {
		return b
	}
	return a
}
