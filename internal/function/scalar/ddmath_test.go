package scalar

import (
	"math"
	"testing"

	"github.com/sluicedb/sluice/internal/value"
)

// The wants are glibc's, which rounds these correctly, as Java does.
func TestJavaTrig(t *testing.T) {
	tests := []struct {
		name    string
		f       func(float64) float64
		x, want float64
	}{
		{"sin", javaSin, 0.5, 0.479425538604203},
		{"sin", javaSin, 1, 0.8414709848078965},
		{"sin", javaSin, 3, 0.1411200080598672},
		{"sin", javaSin, -2.5, -0.5984721441039565},
		{"cos", javaCos, 0.5, 0.8775825618903728},
		{"cos", javaCos, 1, 0.5403023058681398},
		{"cos", javaCos, 3, -0.9899924966004454},
		{"asin", javaAsin, 0.3, 0.3046926540153975},
		{"asin", javaAsin, 0.7, 0.775397496610753},
		{"asin", javaAsin, 0.99, 1.4292568534704693},
		{"asin", javaAsin, -0.2, -0.2013579207903308},
	}
	for _, tc := range tests {
		if got := tc.f(tc.x); got != tc.want {
			t.Errorf("%s(%v) = %v, want %v", tc.name, tc.x, got, tc.want)
		}
	}
	// Within a unit in the last place of Go's everywhere else.
	for x := -4.0; x <= 4; x += 0.0137 {
		for _, c := range []struct {
			f, g func(float64) float64
			x    float64
		}{{javaSin, math.Sin, x}, {javaCos, math.Cos, x}, {javaAsin, math.Asin, x / 4}} {
			got, want := c.f(c.x), c.g(c.x)
			if math.Abs(got-want) > 2*math.Abs(math.Nextafter(want, math.Inf(1))-want)+1e-300 {
				t.Errorf("at %v: %v, Go's %v", c.x, got, want)
			}
		}
	}
}

func TestGeoDistanceDigits(t *testing.T) {
	// ksqlDB's vectors: San Francisco Bay to London, and two points 34 m apart.
	// (geodistance.json)
	for _, tc := range []struct{ lat1, lon1, lat2, lon2, want float64 }{
		{37.4439, -122.1663, 51.5257, -0.1122, 8634.659796579544},
		{51.5257, -0.1122, -33.9323, 18.4197, 9673.40421197142},
		{39.18660374, -76.73262144, 39.18660374, -76.73222145, 0.03447366811448324},
	} {
		v, err := geoDistance([]value.Value{value.Double(tc.lat1), value.Double(tc.lon1), value.Double(tc.lat2), value.Double(tc.lon2)})
		if err != nil || v.Double() != tc.want {
			t.Errorf("geo_distance(%v, %v, %v, %v) = %v, %v; want %v", tc.lat1, tc.lon1, tc.lat2, tc.lon2, v, err, tc.want)
		}
	}
}
