package scalar

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

const catMath = function.CategoryMathematical

func registerMath(b *builder) {
	v := ps(p("val", pInt))
	b.add("Abs", catMath, "Returns the absolute value of its argument. If the argument is not negative, the argument is returned. If the argument is negative, the negation of the argument is returned.",
		ov(pInt, v, func(a []value.Value) (value.Value, error) {
			if x := a[0].Int(); x < 0 {
				return value.Int(-x), nil
			}
			return a[0], nil
		}),
		ov(pBig, ps(p("val", pBig)), func(a []value.Value) (value.Value, error) {
			if x := a[0].Bigint(); x < 0 {
				return value.Bigint(-x), nil
			}
			return a[0], nil
		}),
		ov(pDbl, ps(p("val", pDbl)), func(a []value.Value) (value.Value, error) { return value.Double(math.Abs(a[0].Double())), nil }),
		ovf(argType(0), "DECIMAL", ps(p("val", pDec)), func(a []value.Value) (value.Value, error) {
			u := a[0].Unscaled()
			return value.DecimalBig(u.Abs(u), a[0].Scale()), nil
		}),
	)
	ceilFloor := func(name, desc string, f func(float64) float64, mode roundMode) {
		b.add(name, catMath, desc,
			ov(pInt, ps(p("val", pInt)), func(a []value.Value) (value.Value, error) { return a[0], nil }),
			ov(pBig, ps(p("val", pBig)), func(a []value.Value) (value.Value, error) { return a[0], nil }),
			ov(pDbl, ps(p("val", pDbl)), func(a []value.Value) (value.Value, error) { return value.Double(f(a[0].Double())), nil }),
			ovf(argType(0), "DECIMAL", ps(p("val", pDec)), func(a []value.Value) (value.Value, error) {
				return setScale(setScale(a[0], 0, mode), int(a[0].Scale()), roundDown), nil
			}),
		)
	}
	ceilFloor("Ceil", "Returns the smallest integer greater than or equal to the specified numeric expression.", math.Ceil, roundCeiling)
	ceilFloor("Floor", "Returns the largest integer less than or equal to the specified numeric expression.", math.Floor, roundFloor)

	registerRoundTrunc(b)

	dbl := func(name, desc string, f func(float64) float64) {
		fn := func(a []value.Value) (value.Value, error) { return value.Double(f(a[0].AsFloat64())), nil }
		b.add(name, catMath, desc,
			ov(pDbl, ps(p("value", pInt)), fn),
			ov(pDbl, ps(p("value", pBig)), fn),
			ov(pDbl, ps(p("value", pDbl)), fn),
		)
	}
	dbl("acos", "The inverse (arc) cosine of a value.", math.Acos)
	dbl("asin", "The inverse (arc) sine of a value.", javaAsin)
	dbl("atan", "The inverse (arc) tangent of a value.", math.Atan)
	dbl("cbrt", "The cube root of a value.", math.Cbrt)
	dbl("cos", "The cosine of a value.", javaCos)
	dbl("cosh", "The hyperbolic cosine of a value.", math.Cosh)
	dbl("cot", "The cotangent of a value.", func(x float64) float64 { return 1 / math.Tan(x) })
	dbl("degrees", "Converts a value in radians to a value in degrees.", func(x float64) float64 { return x * 180 / math.Pi })
	dbl("exp", "The exponential of a value.", math.Exp)
	dbl("ln", "The natural logarithm of a value.", javaLog)
	dbl("radians", "Converts a value in degrees to a value in radians.", func(x float64) float64 { return x / 180 * math.Pi })
	dbl("sin", "The sine of a value.", javaSin)
	dbl("sinh", "The hyperbolic sine of a value.", math.Sinh)
	dbl("sqrt", "The square root of a value.", math.Sqrt)
	dbl("tan", "The tangent of a value.", math.Tan)
	dbl("tanh", "The hyperbolic tangent of a value.", math.Tanh)

	dbl2 := func(name, desc, p1, p2 string, f func(x, y float64) float64) {
		fn := func(a []value.Value) (value.Value, error) {
			return value.Double(f(a[0].AsFloat64(), a[1].AsFloat64())), nil
		}
		b.add(name, catMath, desc,
			ov(pDbl, ps(p(p1, pInt), p(p2, pInt)), fn),
			ov(pDbl, ps(p(p1, pBig), p(p2, pBig)), fn),
			ov(pDbl, ps(p(p1, pDbl), p(p2, pDbl)), fn),
		)
	}
	dbl2("atan2", "The inverse (arc) tangent of y / x.", "y", "x", math.Atan2)
	dbl2("power", "Given a base and an exponent, returns the result of the base raised to the exponent.", "base", "exponent", math.Pow)
	// LOG(value) is the natural logarithm in ksqlDB, whatever its
	// description says; LOG(base, value) returns NaN for a base that
	// cannot be one.
	logFn := func(a []value.Value) (value.Value, error) { return value.Double(javaLog(a[0].AsFloat64())), nil }
	log2 := func(a []value.Value) (value.Value, error) {
		base, x := a[0].AsFloat64(), a[1].AsFloat64()
		if base <= 0 || base == 1 {
			return value.Double(math.NaN()), nil
		}
		return value.Double(javaLog(x) / javaLog(base)), nil
	}
	b.add("log", catMath, "The logarithm of a value.",
		ov(pDbl, ps(p("value", pInt)), logFn),
		ov(pDbl, ps(p("value", pBig)), logFn),
		ov(pDbl, ps(p("value", pDbl)), logFn),
		ov(pDbl, ps(p("base", pInt), p("value", pInt)), log2),
		ov(pDbl, ps(p("base", pBig), p("value", pBig)), log2),
		ov(pDbl, ps(p("base", pDbl), p("value", pDbl)), log2),
	)
	b.add("pi", catMath, "Returns an approximate value of PI.",
		ov(pDbl, nil, func([]value.Value) (value.Value, error) { return value.Double(math.Pi), nil }))
	rnd := ov(pDbl, nil, func([]value.Value) (value.Value, error) { return value.Double(rand.Float64()), nil })
	rnd.Volatile = true
	b.add("random", catMath, "Returns a random number greater than or equal to 0.0 and less than 1.0.", rnd)
	sign := func(a []value.Value) (value.Value, error) {
		switch a[0].Kind() {
		case types.Double:
			x := a[0].Double()
			switch {
			case x > 0:
				return value.Int(1), nil
			case x < 0:
				return value.Int(-1), nil
			}
			return value.Int(0), nil
		}
		x := a[0].AsInt64()
		switch {
		case x > 0:
			return value.Int(1), nil
		case x < 0:
			return value.Int(-1), nil
		}
		return value.Int(0), nil
	}
	b.add("sign", catMath, "The sign of a value.",
		ov(pInt, ps(p("value", pInt)), sign),
		ov(pInt, ps(p("value", pBig)), sign),
		ov(pInt, ps(p("value", pDbl)), sign),
	)
	registerGreatestLeast(b)
	b.add("geo_distance", catMath, "Compute the distance between two points on the surface of the earth, according to the Haversine formula for \"great circle distance\".",
		ov(pDbl, ps(p("lat1", pDbl), p("lon1", pDbl), p("lat2", pDbl), p("lon2", pDbl)), geoDistance),
		// A NULL unit means kilometres.
		ovn(pDbl, ps(p("lat1", pDbl), p("lon1", pDbl), p("lat2", pDbl), p("lon2", pDbl), p("units", pStr)), func(a []value.Value) (value.Value, error) {
			for _, v := range a[:4] {
				if v.IsNull() {
					return null, nil
				}
			}
			return geoDistance(a)
		}),
	)
}

func geoDistance(a []value.Value) (value.Value, error) {
	lat1, lon1, lat2, lon2 := a[0].Double(), a[1].Double(), a[2].Double(), a[3].Double()
	if lat1 < -90 || lat2 < -90 || lat1 > 90 || lat2 > 90 {
		return null, errors.New("valid latitude values for GeoDistance function are in the range of -90 to 90 degrees")
	}
	if lon1 < -180 || lon2 < -180 || lon1 > 180 || lon2 > 180 {
		return null, errors.New("valid longitude values for GeoDistance function are in the range of -180 to +180 degrees")
	}
	radius := 6371.0
	if len(a) > 4 {
		switch u := strings.ToLower(strings.TrimSpace(a[4].Str())); u {
		case "":
		case "mi", "mile", "miles":
			radius = 3959
		case "km", "kilometer", "kilometers", "kilometre", "kilometres":
		default:
			return null, errors.New("GeoDistance function units parameter must be one of mi, mile, miles, km, kilometer, kilometers, kilometre, or kilometres. Values are case-insensitive.")
		}
	}
	// Java 8's Math.toRadians, which ksqlDB's expected distances were
	// computed with: divide, then multiply, so the last digit matches.
	rad := func(d float64) float64 { return d / 180.0 * math.Pi }
	hav := func(x float64) float64 { s := javaSin(x / 2); return s * s }
	h := hav(rad(lat2-lat1)) + hav(rad(lon2-lon1))*javaCos(rad(lat1))*javaCos(rad(lat2))
	return value.Double(2 * javaAsin(math.Sqrt(h)) * radius), nil
}

// javaRound is Math.round: half rounds toward positive infinity.
func javaRound(x float64) int64 {
	if math.IsNaN(x) {
		return 0
	}
	return int64(math.Floor(x + 0.5))
}

func registerRoundTrunc(b *builder) {
	// ROUND rounds half up (toward +inf) as Math.round does, so BigDecimal
	// arithmetic uses HALF_UP for positives and HALF_DOWN otherwise.
	halfMode := func(v value.Value) roundMode {
		if v.Unscaled().Sign() > 0 {
			return roundHalfUp
		}
		return roundHalfDown
	}
	decNoPlaces := func(args []*types.Type, _ map[string]*types.Type) (*types.Type, error) {
		d := args[0]
		if d == nil || d.Kind != types.Decimal {
			return nil, errors.New("expects a DECIMAL parameter")
		}
		return types.DecimalOf(max(d.Precision-d.Scale, 1), 0)
	}
	toLong := func(a []value.Value) (value.Value, error) { return value.Bigint(a[0].AsInt64()), nil }
	b.add("Round", catMath, "Round a value to the number of decimal places as specified by scale to the right of the decimal point. If scale is negative then value is rounded to the right of the decimal point. Numbers equidistant to the nearest value are rounded up (in the positive direction). If the number of decimal places is not provided it defaults to zero.",
		ov(pBig, ps(p("val", pBig)), toLong),
		ov(pBig, ps(p("val", pInt)), toLong),
		ov(pBig, ps(p("val", pDbl)), func(a []value.Value) (value.Value, error) { return value.Bigint(javaRound(a[0].Double())), nil }),
		ov(pDbl, ps(p("val", pDbl), p("decimalPlaces", pInt)), func(a []value.Value) (value.Value, error) {
			d, ok := decimalOfFloat(a[0].Double())
			if !ok {
				return a[0], nil
			}
			return value.Double(decimalFloat(setScale(d, int(a[1].Int()), halfMode(d)))), nil
		}),
		ovf(decNoPlaces, "DECIMAL", ps(p("val", pDec)), func(a []value.Value) (value.Value, error) {
			return setScale(a[0], 0, halfMode(a[0])), nil
		}),
		ovf(argType(0), "DECIMAL", ps(p("val", pDec), p("decimalPlaces", pInt)), func(a []value.Value) (value.Value, error) {
			return setScale(setScale(a[0], int(a[1].Int()), halfMode(a[0])), int(a[0].Scale()), roundDown), nil
		}),
	)
	b.add("trunc", catMath, "Truncates a value to the number of decimal places as specified by scale to the right of the decimal point. If scale is negative then value is truncated to the right of the decimal point.",
		ov(pBig, ps(p("val", pBig)), toLong),
		ov(pBig, ps(p("val", pInt)), toLong),
		ov(pBig, ps(p("val", pDbl)), func(a []value.Value) (value.Value, error) { return value.Bigint(int64(a[0].Double())), nil }),
		ov(pDbl, ps(p("val", pDbl), p("decimalPlaces", pInt)), func(a []value.Value) (value.Value, error) {
			d, ok := decimalOfFloat(a[0].Double())
			if !ok {
				return a[0], nil
			}
			return value.Double(decimalFloat(setScale(d, int(a[1].Int()), roundDown))), nil
		}),
		ovf(decNoPlaces, "DECIMAL", ps(p("val", pDec)), func(a []value.Value) (value.Value, error) {
			return setScale(a[0], 0, roundDown), nil
		}),
		ovf(argType(0), "DECIMAL", ps(p("val", pDec), p("decimalPlaces", pInt)), func(a []value.Value) (value.Value, error) {
			return setScale(setScale(a[0], int(a[1].Int()), roundDown), int(a[0].Scale()), roundDown), nil
		}),
	)
}

func registerGreatestLeast(b *builder) {
	pick := func(want int) function.ScalarFn {
		return func(a []value.Value) (value.Value, error) {
			best := null
			for _, v := range a {
				if v.IsNull() {
					continue
				}
				if best.IsNull() || value.Compare(v, best)*want > 0 {
					best = v
				}
			}
			return best, nil
		}
	}
	widenDecimals := func(args []*types.Type, _ map[string]*types.Type) (*types.Type, error) {
		var out *types.Type
		for _, t := range args {
			if t == nil || t.Kind == types.Null {
				continue
			}
			if out == nil {
				out = t
			} else {
				out = types.WiderNumeric(out, t)
			}
		}
		if out == nil {
			return nil, errors.New("cannot infer the return type from NULL arguments")
		}
		return out, nil
	}
	for _, gl := range []struct {
		name, desc string
		want       int
	}{
		{"greatest", "Returns the highest non-null value among a variable number of comparable columns.", 1},
		{"least", "Returns the lowest non-null value among a variable number of comparable columns.", -1},
	} {
		var ovs []*function.ScalarOverload
		for _, t := range []*function.PType{pInt, pBig, pDbl, pStr, pByt, pDate, pTime, pTs} {
			ovs = append(ovs, ovn(t, ps(p("val", t), vp("vals", t)), pick(gl.want)))
		}
		pickDec := pick(gl.want)
		dec := ovn(nil, ps(p("val", pDec), vp("vals", pDec)), func(a []value.Value) (value.Value, error) {
			// The result type holds every argument's scale; give the
			// value that scale too.
			scale := 0
			for _, v := range a {
				if !v.IsNull() {
					scale = max(scale, int(v.Scale()))
				}
			}
			v, err := pickDec(a)
			if err != nil || v.IsNull() {
				return v, err
			}
			return setScale(v, scale, roundDown), nil
		})
		dec.ReturnFn, dec.ReturnDoc = widenDecimals, "DECIMAL"
		ovs = append(ovs, dec)
		b.add(gl.name, catMath, gl.desc, ovs...)
	}
}
