package scalar

import (
	"fmt"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

const catLambda = function.CategoryLambda

func lambdaOv(ret *function.PType, params []function.Param, fn function.LambdaFn) *function.ScalarOverload {
	return &function.ScalarOverload{Signature: function.Signature{Params: params, Return: ret}, LambdaFn: fn}
}

// truth reads a lambda's BOOLEAN result; NULL drops the element, as the
// filter vectors expect.
func truth(v value.Value) (bool, error) {
	if v.IsNull() {
		return false, nil
	}
	if v.Kind() != types.Boolean {
		return false, fmt.Errorf("lambda returned %s where a BOOLEAN was required", v)
	}
	return v.Bool(), nil
}

func registerLambda(b *builder) {
	mapKV := function.MapP(tK, tV)
	b.add("transform", catLambda, "Apply a function to each element in an array or each pair of key-values in a map. Transform can only be used with an array or map input.",
		lambdaOv(function.ArrayP(tU), ps(p("array", arrT), p("function", function.LambdaP(tU, tT))), func(a []value.Value, l []function.Lambda) (value.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			in := a[0].Elems()
			out := make([]value.Value, len(in))
			for i, e := range in {
				v, err := l[0](e)
				if err != nil {
					return null, err
				}
				out[i] = v
			}
			return value.Array(out), nil
		}),
		lambdaOv(function.MapP(function.Generic("R"), tU), ps(p("map", mapKV), p("biFunction1", function.LambdaP(function.Generic("R"), tK, tV)), p("biFunction2", function.LambdaP(tU, tK, tV))),
			func(a []value.Value, l []function.Lambda) (value.Value, error) {
				if a[0].IsNull() {
					return null, nil
				}
				// ksqlDB collects the result with Collectors.toMap, into a
				// HashMap, which also refuses a key produced twice.
				var out []value.Entry
				for _, e := range a[0].Entries() {
					k, err := l[0](e.Key, e.Val)
					if err != nil {
						return null, err
					}
					v, err := l[1](e.Key, e.Val)
					if err != nil {
						return null, err
					}
					for _, o := range out {
						if value.Equal(o.Key, k) {
							return null, fmt.Errorf("Duplicate key %s", k)
						}
					}
					out = append(out, value.Entry{Key: k, Val: v})
				}
				m := value.NewJavaHashMap(-1)
				for _, e := range out {
					m.Put(e.Key, e.Val)
				}
				return m.Map(), nil
			}),
	)
	b.add("filter", catLambda, "Filter an array or map using a lambda function. Filter can only be used with an array or map input.",
		lambdaOv(arrT, ps(p("array", arrT), p("function", function.LambdaP(pBool, tT))), func(a []value.Value, l []function.Lambda) (value.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			out := []value.Value{}
			for _, e := range a[0].Elems() {
				v, err := l[0](e)
				if err != nil {
					return null, err
				}
				keep, err := truth(v)
				if err != nil {
					return null, err
				}
				if keep {
					out = append(out, e)
				}
			}
			return value.Array(out), nil
		}),
		lambdaOv(mapKV, ps(p("map", mapKV), p("biFunction", function.LambdaP(pBool, tK, tV))), func(a []value.Value, l []function.Lambda) (value.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			// ksqlDB collects the kept entries with Collectors.toMap,
			// into a HashMap.
			out := value.NewJavaHashMap(-1)
			for _, e := range a[0].Entries() {
				v, err := l[0](e.Key, e.Val)
				if err != nil {
					return null, err
				}
				keep, err := truth(v)
				if err != nil {
					return null, err
				}
				if keep {
					out.Put(e.Key, e.Val)
				}
			}
			return out.Map(), nil
		}),
	)
	tS := function.Generic("S")
	b.add("reduce", catLambda, "Reduce an array or map using an initial state and function. Reduce can only be used with an array or map input.",
		lambdaOv(tS, ps(p("array", arrT), p("initialState", tS), p("biFunction", function.LambdaP(tS, tS, tT))), func(a []value.Value, l []function.Lambda) (value.Value, error) {
			if a[1].IsNull() {
				return null, nil
			}
			state := a[1]
			for _, e := range a[0].Elems() {
				var err error
				if state, err = l[0](state, e); err != nil {
					return null, err
				}
			}
			return state, nil
		}),
		lambdaOv(tS, ps(p("map", mapKV), p("initialState", tS), p("triFunction", function.LambdaP(tS, tS, tK, tV))), func(a []value.Value, l []function.Lambda) (value.Value, error) {
			if a[1].IsNull() {
				return null, nil
			}
			state := a[1]
			for _, e := range a[0].Entries() {
				var err error
				if state, err = l[0](state, e.Key, e.Val); err != nil {
					return null, err
				}
			}
			return state, nil
		}),
	)
}
