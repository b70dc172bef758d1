package value

import (
	"bytes"
	"cmp"
	"hash/maphash"
	"math"
	"math/big"

	"github.com/sluicedb/sluice/internal/types"
)

// Compare orders two values. NULL sorts before everything. Numbers compare
// by value across INT, BIGINT, DECIMAL and DOUBLE; other kinds compare only
// with their own kind (values of unrelated kinds order by kind, so sorting
// is total, but a type-checked query never asks). Doubles order NaN last,
// as Java's Double.compareTo does.
func Compare(a, b Value) int {
	if a.kind == types.Null || b.kind == types.Null {
		return cmp.Compare(boolInt(a.kind != types.Null), boolInt(b.kind != types.Null))
	}
	if isNumeric(a.kind) && isNumeric(b.kind) {
		return compareNumeric(a, b)
	}
	if a.kind != b.kind {
		return cmp.Compare(a.kind, b.kind)
	}
	switch a.kind {
	case types.Boolean, types.Date, types.Time, types.Timestamp:
		return cmp.Compare(a.n, b.n)
	case types.String:
		return cmp.Compare(a.s, b.s)
	case types.Bytes:
		return bytes.Compare(a.BytesVal(), b.BytesVal())
	case types.Array, types.Struct:
		ae, be := a.Elems(), b.Elems()
		for i := 0; i < len(ae) && i < len(be); i++ {
			if c := Compare(ae[i], be[i]); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(ae), len(be))
	case types.Map:
		ae, be := a.Entries(), b.Entries()
		for i := 0; i < len(ae) && i < len(be); i++ {
			if c := Compare(ae[i].Key, be[i].Key); c != 0 {
				return c
			}
			if c := Compare(ae[i].Val, be[i].Val); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(ae), len(be))
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isNumeric(k types.Kind) bool {
	return k == types.Int || k == types.Bigint || k == types.Double || k == types.Decimal
}

func compareNumeric(a, b Value) int {
	switch {
	case a.kind == types.Double || b.kind == types.Double:
		return compareFloat(a.AsFloat64(), b.AsFloat64())
	case a.kind == types.Decimal || b.kind == types.Decimal:
		if a.kind == types.Decimal && b.kind == types.Decimal && a.scale == b.scale && a.ref == nil && b.ref == nil {
			return cmp.Compare(a.n, b.n)
		}
		return toRat(a).Cmp(toRat(b))
	default:
		return cmp.Compare(a.n, b.n)
	}
}

func toRat(v Value) *big.Rat {
	if v.kind == types.Decimal {
		return v.Rat()
	}
	return new(big.Rat).SetInt64(v.n)
}

func compareFloat(x, y float64) int {
	xn, yn := math.IsNaN(x), math.IsNaN(y)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	return cmp.Compare(x, y)
}

// Equal reports SQL equality with NULL equal to NULL (the semantics of
// grouping and joining keys, not of the = operator, which the expression
// compiler handles).
func Equal(a, b Value) bool {
	if a.kind != b.kind {
		if isNumeric(a.kind) && isNumeric(b.kind) {
			return compareNumeric(a, b) == 0
		}
		return false
	}
	if a.kind == types.Map {
		return mapsEqual(a.Entries(), b.Entries())
	}
	return Compare(a, b) == 0
}

// mapsEqual compares maps as Java's Map.equals does: the same entries, in
// any order (a JSON object's fields arrive in the writer's order).
func mapsEqual(a, b []Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			if Equal(x.Key, y.Key) {
				found = Equal(x.Val, y.Val)
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Hash feeds v into h so that Equal values of the same kind hash alike.
func Hash(h *maphash.Hash, v Value) {
	h.WriteByte(byte(v.kind))
	switch v.kind {
	case types.Null:
	case types.String:
		h.WriteString(v.s)
	case types.Bytes:
		h.Write(v.BytesVal())
	case types.Decimal:
		// Normalise trailing zeros so 1.0 and 1.00 hash alike.
		r := v.Rat()
		h.WriteString(r.RatString())
	case types.Array, types.Struct:
		for _, e := range v.Elems() {
			Hash(h, e)
		}
	case types.Map:
		// Order-independent, as Equal is: sum the entries' own hashes.
		var sum uint64
		var eh maphash.Hash
		eh.SetSeed(h.Seed())
		for _, e := range v.Entries() {
			eh.Reset()
			Hash(&eh, e.Key)
			Hash(&eh, e.Val)
			sum += eh.Sum64()
		}
		var b [8]byte
		for i := range b {
			b[i] = byte(sum >> (8 * i))
		}
		h.Write(b[:])
	default:
		var b [8]byte
		for i := range b {
			b[i] = byte(v.n >> (8 * i))
		}
		h.Write(b[:])
	}
}
