package scalar

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

const catArray = function.CategoryArray

var (
	arrT = function.ArrayP(tT)
	mapV = function.MapP(pStr, tT)
)

// indexOf finds v in vs by SQL equality (NULL equals NULL, as Java's
// collections treat null).
func indexOf(vs []value.Value, v value.Value) int {
	for i, e := range vs {
		if value.Equal(e, v) {
			return i
		}
	}
	return -1
}

// distinct keeps the first of each equal run, in order, as a
// LinkedHashSet does.
func distinct(vs []value.Value) []value.Value {
	out := make([]value.Value, 0, len(vs))
	for _, v := range vs {
		if indexOf(out, v) < 0 {
			out = append(out, v)
		}
	}
	return out
}

func registerArray(b *builder) {
	b.add("array_concat", catArray, "Concatenates two arrays, creating an array that contains all the elements in the first array followed by all the elements in the second array. Returns NULL if both input arrays are NULL. If only one argument is NULL, the result is the other argument. The two arrays must be of the same type.",
		ovn(arrT, ps(p("left", arrT), p("right", arrT)), func(a []value.Value) (value.Value, error) {
			if a[0].IsNull() && a[1].IsNull() {
				return null, nil
			}
			out := append(append([]value.Value{}, a[0].Elems()...), a[1].Elems()...)
			return value.Array(out), nil
		}))
	b.add("array_distinct", catArray, "Returns an array of all the distinct values, including NULL if present, from the input array. The output array elements are in order of their first occurrence in the input. Returns NULL if the input array is NULL.",
		ov(arrT, ps(p("input", arrT)), func(a []value.Value) (value.Value, error) { return value.Array(distinct(a[0].Elems())), nil }))
	b.add("array_except", catArray, "Returns an array of all the distinct elements from an array, except for those also present in a second array. The order of entries in the first array is preserved although any duplicates are removed. Returns NULL if either input is NULL.",
		ov(arrT, ps(p("left", arrT), p("right", arrT)), func(a []value.Value) (value.Value, error) {
			out := []value.Value{}
			for _, v := range distinct(a[0].Elems()) {
				if indexOf(a[1].Elems(), v) < 0 {
					out = append(out, v)
				}
			}
			return value.Array(out), nil
		}))
	b.add("array_intersect", catArray, "Returns an array of all the distinct elements from the intersection of both input arrays. The order of entries in the output is the same as in the first input array. Returns NULL if either input is NULL.",
		ov(arrT, ps(p("left", arrT), p("right", arrT)), func(a []value.Value) (value.Value, error) {
			out := []value.Value{}
			for _, v := range distinct(a[0].Elems()) {
				if indexOf(a[1].Elems(), v) >= 0 {
					out = append(out, v)
				}
			}
			return value.Array(out), nil
		}))
	b.add("array_union", catArray, "Returns an array of all the distinct elements from both input arrays, in the order they're encountered. Returns NULL if either input is NULL.",
		ov(arrT, ps(p("left", arrT), p("right", arrT)), func(a []value.Value) (value.Value, error) {
			return value.Array(distinct(append(append([]value.Value{}, a[0].Elems()...), a[1].Elems()...))), nil
		}))
	join := func(a []value.Value) (value.Value, error) {
		if a[0].IsNull() {
			return null, nil
		}
		delim := ","
		if len(a) > 1 {
			delim = a[1].Str() // NULL joins with no delimiter
		}
		parts := make([]string, len(a[0].Elems()))
		for i, e := range a[0].Elems() {
			switch e.Kind() {
			case types.Null:
				parts[i] = "null"
			case types.Boolean, types.Int, types.Bigint, types.Double, types.Decimal, types.String:
				parts[i] = javaString(e)
			default:
				return null, fmt.Errorf("error: hit element of type %s which is currently not supported", e.Kind())
			}
		}
		return vstr(strings.Join(parts, delim)), nil
	}
	b.add("array_join", catArray, "Creates a flat string representation of all the elements contained in the given array. The elements in the resulting string are separated by the chosen delimiter, which is an optional parameter that falls back to a comma ','. The current implementation only allows for array elements of primitive ksqlDB types.",
		ovn(pStr, ps(p("array", arrT)), join),
		ovn(pStr, ps(p("array", arrT), p("delimiter", pStr)), join),
	)
	b.add("array_length", catArray, "Returns the number of elements in an array. If the supplied parameter is NULL the method returns NULL.",
		ov(pInt, ps(p("array", arrT)), func(a []value.Value) (value.Value, error) { return value.Int(int32(len(a[0].Elems()))), nil }))
	extreme := func(want int) function.ScalarFn {
		return func(a []value.Value) (value.Value, error) {
			best := null
			for _, v := range a[0].Elems() {
				if !v.IsNull() && (best.IsNull() || value.Compare(v, best)*want > 0) {
					best = v
				}
			}
			return best, nil
		}
	}
	b.add("array_max", catArray, "Returns the maximum value from within a given array of primitive elements (not arrays of other arrays, or maps, or structs, or combinations thereof). Array entries are compared according to their natural sort order, which sorts the various data-types per the following examples: array_max[-1, 2, NULL, 0] -> 2, array_max[false, NULL, true] -> true, array_max['Foo', 'Bar', NULL, 'baz'] -> 'baz' (lower-case characters are 'greater' than upper-case characters). If the array field is NULL, or contains only NULLs, then NULL is returned.",
		ov(tT, ps(p("input", arrT)), extreme(1)))
	b.add("array_min", catArray, "Returns the minimum value from within a given array of primitive elements (not arrays of other arrays, or maps, or structs, or combinations thereof). Array entries are compared according to their natural sort order, which sorts the various data-types per the following examples: array_min[-1, 2, NULL, 0] -> -1, array_min[false, NULL, true] -> false, array_min['Foo', 'Bar', NULL, 'baz'] -> 'Bar'. If the array field is NULL, or contains only NULLs, then NULL is returned.",
		ov(tT, ps(p("input", arrT)), extreme(-1)))
	b.add("array_remove", catArray, "Removes all elements from the input array equal to element.",
		ovn(arrT, ps(p("array", arrT), p("victim", tT)), func(a []value.Value) (value.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			out := []value.Value{}
			for _, v := range a[0].Elems() {
				if !value.Equal(v, a[1]) {
					out = append(out, v)
				}
			}
			return value.Array(out), nil
		}))
	sortFn := func(a []value.Value) (value.Value, error) {
		dir := "ASC"
		if len(a) > 1 {
			dir = strings.ToUpper(a[1].Str())
		}
		sign := 0
		switch dir {
		case "ASC", "ASCENDING":
			sign = 1
		case "DESC", "DESCENDING":
			sign = -1
		default:
			return null, nil
		}
		out := append([]value.Value{}, a[0].Elems()...)
		sort.SliceStable(out, func(i, j int) bool {
			x, y := out[i], out[j]
			if x.IsNull() || y.IsNull() {
				return !x.IsNull() && y.IsNull() // NULLs last either way
			}
			return value.Compare(x, y)*sign < 0
		})
		return value.Array(out), nil
	}
	b.add("array_sort", catArray, "Sorts an array of primitive values, according to their natural sort order. Any NULLs in the array will be placed at the end.",
		ov(arrT, ps(p("input", arrT)), sortFn),
		ov(arrT, ps(p("input", arrT), p("direction", pStr)), sortFn),
	)
	b.add("array_contains", catArray, "Returns true if the array is non-null and contains the supplied value.",
		ovn(pBool, ps(p("array", arrT), p("val", tT)), func(a []value.Value) (value.Value, error) {
			return value.Bool(!a[0].IsNull() && indexOf(a[0].Elems(), a[1]) >= 0), nil
		}))
	b.add("slice", catArray, "Slices a list based on the supplied indices. The indices start at 1 and include both endpoints.",
		ovn(arrT, ps(p("list", arrT), p("from", pInt), p("to", pInt)), func(a []value.Value) (value.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			in := a[0].Elems()
			start, end := 0, len(in)
			if !a[1].IsNull() {
				start = int(a[1].Int()) - 1
			}
			if !a[2].IsNull() {
				end = int(a[2].Int())
			}
			if start < 0 || end > len(in) || start > end {
				return null, nil
			}
			return value.Array(append([]value.Value{}, in[start:end]...)), nil
		}))
	entries := func(a []value.Value) (value.Value, error) {
		if a[0].IsNull() || a[1].IsNull() {
			return null, nil
		}
		es := append([]value.Entry(nil), a[0].Entries()...)
		if a[1].Bool() {
			sort.SliceStable(es, func(i, j int) bool { return es[i].Key.Str() < es[j].Key.Str() })
		}
		out := make([]value.Value, len(es))
		for i, e := range es {
			out[i] = value.Struct([]value.Value{e.Key, e.Val})
		}
		return value.Array(out), nil
	}
	var entryOvs []*function.ScalarOverload
	for _, vt := range []*types.Type{types.IntType, types.BigintType, types.DoubleType, types.BooleanType, types.StringType} {
		ret := function.Of(types.ArrayOf(types.StructOf(types.Field{Name: "K", Type: types.StringType}, types.Field{Name: "V", Type: vt})))
		entryOvs = append(entryOvs, ovn(ret, ps(p("map", function.MapP(pStr, function.Of(vt))), p("sorted", pBool)), entries))
	}
	b.add("entries", catArray, "Construct an array from the entries in a map. The array can be optionally sorted on the keys.", entryOvs...)
	registerGenerateSeries(b)
}

func registerGenerateSeries(b *builder) {
	series := func(long bool) function.ScalarFn {
		return func(a []value.Value) (value.Value, error) {
			start, end := a[0].AsInt64(), a[1].AsInt64()
			var step int64
			if len(a) > 2 {
				step = int64(a[2].Int())
			} else if end-start > 0 {
				step = 1
			} else {
				step = -1
			}
			if step == 0 {
				return null, errors.New("GENERATE_SERIES step cannot be zero")
			}
			diff := end - start
			if diff > 0 && step < 0 || diff < 0 && step > 0 {
				return null, errors.New("GENERATE_SERIES step has wrong sign")
			}
			n := 1 + diff/step
			if n > 10_000_000 {
				return null, fmt.Errorf("GENERATE_SERIES would produce %d elements", n)
			}
			out := make([]value.Value, 0, n)
			for v := start; int64(len(out)) < n; v += step {
				if long {
					out = append(out, value.Bigint(v))
				} else {
					out = append(out, value.Int(int32(v)))
				}
			}
			return value.Array(out), nil
		}
	}
	b.add("generate_series", catArray, "Construct an array of a range of values",
		ov(function.ArrayP(pInt), ps(p("start", pInt), p("end", pInt)), series(false)),
		ov(function.ArrayP(pInt), ps(p("start", pInt), p("end", pInt), p("step", pInt)), series(false)),
		ov(function.ArrayP(pBig), ps(p("start", pBig), p("end", pBig)), series(true)),
		ov(function.ArrayP(pBig), ps(p("start", pBig), p("end", pBig), p("step", pInt)), series(true)),
	)
}

// javaString renders a primitive as Java's toString does.
func javaString(v value.Value) string {
	if v.Kind() == types.Double {
		return value.FormatDouble(v.Double())
	}
	return v.String()
}

func registerMap(b *builder) {
	const catMap = function.CategoryMap
	b.add("as_map", catMap, "Construct a map from a list of keys and a list of values.",
		ov(mapV, ps(p("keys", function.ArrayP(pStr)), p("values", arrT)), func(a []value.Value) (value.Value, error) {
			keys, vals := a[0].Elems(), a[1].Elems()
			// ksqlDB builds a new HashMap<>(keys.size()).
			out := value.NewJavaHashMap(len(keys))
			for i, k := range keys {
				v := null
				if i < len(vals) {
					v = vals[i]
				}
				out.Put(k, v)
			}
			return out.Map(), nil
		}))
	b.add("map_keys", catMap, "Returns an array that contains all of the keys from the specified map.",
		ov(function.ArrayP(pStr), ps(p("input", mapV)), func(a []value.Value) (value.Value, error) {
			es := a[0].Entries()
			out := make([]value.Value, len(es))
			for i, e := range es {
				out[i] = e.Key
			}
			return value.Array(out), nil
		}))
	b.add("map_values", catMap, "Returns an array that contains all of the values from the specified map.",
		ov(arrT, ps(p("input", mapV)), func(a []value.Value) (value.Value, error) {
			es := a[0].Entries()
			out := make([]value.Value, len(es))
			for i, e := range es {
				out[i] = e.Val
			}
			return value.Array(out), nil
		}))
	b.add("map_union", catMap, "Returns a new map containing the union of all entries from both input maps. If a key is present in both input maps then the value from map2 is the one which appears in the result. Returns NULL if all of the input maps are NULL.",
		ovn(mapV, ps(p("map1", mapV), p("map2", mapV)), func(a []value.Value) (value.Value, error) {
			if a[0].IsNull() && a[1].IsNull() {
				return null, nil
			}
			// ksqlDB putAll()s each non-null map into a new HashMap<>().
			out := value.NewJavaHashMap(-1)
			for _, m := range a {
				if !m.IsNull() {
					out.PutAll(m.Entries())
				}
			}
			return out.Map(), nil
		}))
}
