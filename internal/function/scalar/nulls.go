package scalar

import (
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/value"
)

const catCond = function.CategoryConditional

func registerNulls(b *builder) {
	b.add("COALESCE", catCond, "Returns first non-null value.",
		ovn(tT, ps(p("first", tT), vp("others", tT)), func(a []value.Value) (value.Value, error) {
			for _, v := range a {
				if !v.IsNull() {
					return v, nil
				}
			}
			return null, nil
		}))
	b.add("IFNULL", catCond, "Returns expression if not NULL, otherwise the alternative value.",
		ovn(tT, ps(p("expression", tT), p("altValue", tT)), func(a []value.Value) (value.Value, error) {
			if a[0].IsNull() {
				return a[1], nil
			}
			return a[0], nil
		}))
	b.add("NULLIF", catCond, "Returns NULL if two expressions are equal, otherwise returns the first expression.",
		ovn(tT, ps(p("expr1", tT), p("expr2", tT)), func(a []value.Value) (value.Value, error) {
			if a[0].IsNull() || (!a[1].IsNull() && value.Equal(a[0], a[1])) {
				return null, nil
			}
			return a[0], nil
		}))
	b.add("AS_VALUE", function.CategoryOther, "Used exclusively in the projection of a query to allow a key column to be copied into the value schema. Has no affect if used anywhere else.",
		ovn(tT, ps(p("keyColumn", tT)), func(a []value.Value) (value.Value, error) { return a[0], nil }))
}
