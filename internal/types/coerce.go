package types

// ksqlDB widens numbers implicitly along INT → BIGINT → DECIMAL → DOUBLE,
// in arithmetic, comparisons, function arguments and INSERT VALUES. The
// helpers here encode that order once so every caller agrees.

// numericRank orders the numeric kinds by width.
func numericRank(k Kind) int {
	switch k {
	case Int:
		return 1
	case Bigint:
		return 2
	case Decimal:
		return 3
	case Double:
		return 4
	}
	return 0
}

// DecimalForInteger is the DECIMAL an integer kind widens to: INT holds 10
// digits and BIGINT 19, as ksqlDB's DecimalUtil.toSqlDecimal decides.
func DecimalForInteger(k Kind) *Type {
	switch k {
	case Int:
		return &Type{Kind: Decimal, Precision: 10, Scale: 0}
	case Bigint:
		return &Type{Kind: Decimal, Precision: 19, Scale: 0}
	}
	return nil
}

// CanWiden reports whether a value of type from may be used where to is
// expected without an explicit CAST. NULL widens to anything; compound types
// widen element-wise.
func CanWiden(from, to *Type) bool {
	if from.Kind == Null {
		return true
	}
	if from.Equal(to) {
		return true
	}
	if from.IsNumeric() && to.IsNumeric() {
		fr, tr := numericRank(from.Kind), numericRank(to.Kind)
		if fr > tr {
			return false
		}
		if to.Kind == Decimal {
			var src *Type
			if from.Kind == Decimal {
				src = from
			} else {
				src = DecimalForInteger(from.Kind)
			}
			// A DECIMAL target must hold every integer digit and every
			// fractional digit of the source.
			return to.Precision-to.Scale >= src.Precision-src.Scale && to.Scale >= src.Scale
		}
		return true
	}
	switch {
	case from.Kind == Array && to.Kind == Array:
		return CanWiden(from.Elem, to.Elem)
	case from.Kind == Map && to.Kind == Map:
		return CanWiden(from.Key, to.Key) && CanWiden(from.Elem, to.Elem)
	case from.Kind == Struct && to.Kind == Struct:
		if len(from.Fields) != len(to.Fields) {
			return false
		}
		for i := range from.Fields {
			if from.Fields[i].Name != to.Fields[i].Name || !CanWiden(from.Fields[i].Type, to.Fields[i].Type) {
				return false
			}
		}
		return true
	}
	return false
}

// WiderNumeric returns the type two numeric operands are both widened to
// before a comparison, or nil if either is not numeric. Two DECIMALs widen to
// one that holds both.
func WiderNumeric(a, b *Type) *Type {
	if !a.IsNumeric() || !b.IsNumeric() {
		return nil
	}
	if a.Kind == Double || b.Kind == Double {
		return DoubleType
	}
	if a.Kind == Decimal || b.Kind == Decimal {
		da, db := a, b
		if da.Kind != Decimal {
			da = DecimalForInteger(da.Kind)
		}
		if db.Kind != Decimal {
			db = DecimalForInteger(db.Kind)
		}
		scale := max(da.Scale, db.Scale)
		digits := max(da.Precision-da.Scale, db.Precision-db.Scale)
		return &Type{Kind: Decimal, Precision: min(digits+scale, MaxDecimalPrecision), Scale: scale}
	}
	if a.Kind == Bigint || b.Kind == Bigint {
		return BigintType
	}
	return IntType
}

// CommonType returns the type that values of a and b can both be widened
// to, as CASE branches, ARRAY[...] elements and COALESCE arguments require,
// or nil if there is none.
func CommonType(a, b *Type) *Type {
	switch {
	case a.Kind == Null:
		return b
	case b.Kind == Null:
		return a
	case a.Equal(b):
		return a
	case a.IsNumeric() && b.IsNumeric():
		return WiderNumeric(a, b)
	case a.Kind == Array && b.Kind == Array:
		if e := CommonType(a.Elem, b.Elem); e != nil {
			return ArrayOf(e)
		}
	case a.Kind == Map && b.Kind == Map:
		k, v := CommonType(a.Key, b.Key), CommonType(a.Elem, b.Elem)
		if k != nil && v != nil {
			return MapOf(k, v)
		}
	}
	return nil
}
