package planner

import (
	"math/big"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// fitToSink fits an INSERT INTO's select items to its sink. First a
// numeric literal selected into a DECIMAL column becomes a DECIMAL literal
// of that column's type, when its digits fit; ksqlDB's
// ImplicitlyCastResolver does this so that SELECT 1 AS c1 can feed a
// DECIMAL(5,2) column, pairing items with the sink's columns by position,
// keys first. Then a value column of a type the sink's widens (INT into
// BIGINT, DECIMAL(3,2) into DECIMAL(5,2)) is converted, as ksqlDB's
// compatibleSchema lets the query write it.
func (p *Planner) fitToSink(items []selectItem, sink catalog.Schema, sc *scope) error {
	if err := p.castDecimalLiterals(items, sink, sc); err != nil {
		return err
	}
	for i := range items {
		for _, c := range sink.ValueOnly() {
			if c.Name != items[i].alias || items[i].ce.Type.Equal(c.Type) || !expr.CanCoerce(items[i].ce.Type, c.Type) {
				continue
			}
			ce, err := items[i].ce.Coerced(c.Type)
			if err != nil {
				return err
			}
			items[i].ce = ce
		}
	}
	return nil
}

func (p *Planner) castDecimalLiterals(items []selectItem, sink catalog.Schema, sc *scope) error {
	cols := append(append([]catalog.Column(nil), sink.Key()...), sink.ValueOnly()...)
	for i := range items {
		if i >= len(cols) || cols[i].Type.Kind != types.Decimal {
			continue
		}
		unscaled, scale, ok := numericLiteral(items[i].e)
		if !ok {
			continue
		}
		to := cols[i].Type
		if scale < 0 {
			unscaled.Mul(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-scale)), nil))
			scale = 0
		}
		// ksqlDB's DecimalUtil.fromValue: a value in (-1, 1) has one digit
		// left of the point.
		digits := len(new(big.Int).Abs(unscaled).String())
		precision := digits
		if digits <= scale {
			precision = scale + 1
		}
		if scale > to.Scale || precision-scale > to.Precision-to.Scale {
			continue
		}
		unscaled.Mul(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(to.Scale-scale)), nil))
		lit := &ast.DecimalLit{Pos: items[i].e.Position(), Text: value.DecimalBig(unscaled, int32(to.Scale)).DecimalString()}
		ce, err := expr.Compile(lit, sc, expr.Options{Functions: p.Functions})
		if err != nil {
			return err
		}
		items[i].e, items[i].ce = lit, ce
	}
	return nil
}

// numericLiteral reads an INTEGER, BIGINT, DECIMAL or DOUBLE literal, or
// its negation, as BigDecimal.valueOf would: unscaled digits and scale.
func numericLiteral(e ast.Expr) (*big.Int, int, bool) {
	neg := false
	if u, ok := e.(*ast.Unary); ok && u.Op == "-" {
		neg, e = true, u.X
	}
	var text string
	switch n := e.(type) {
	case *ast.IntegerLit:
		text = big.NewInt(n.Value).String()
	case *ast.DecimalLit:
		text = n.Text
	case *ast.DoubleLit:
		// BigDecimal.valueOf(double) reads Double.toString's digits.
		text = value.FormatDouble(n.Value)
	default:
		return nil, 0, false
	}
	mant, exp := text, 0
	if i := strings.IndexAny(text, "eE"); i >= 0 {
		mant = text[:i]
		x, ok := new(big.Int).SetString(strings.TrimPrefix(text[i+1:], "+"), 10)
		if !ok || !x.IsInt64() {
			return nil, 0, false
		}
		exp = int(x.Int64())
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	u, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return nil, 0, false
	}
	if neg {
		u.Neg(u)
	}
	return u, len(frac) - exp, true
}
