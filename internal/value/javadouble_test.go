package value

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

func TestFormatDoubleJDK(t *testing.T) {
	// Outputs of Double.toString on JDK 17 (FloatingDecimal, as in JDK 8),
	// chosen to cover each of its departures from the shortest form.
	tests := []struct {
		f    float64
		want string
	}{
		{1, "1.0"},
		{-0.5, "-0.5"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
		{1e7, "1.0E7"},
		{9999999, "9999999.0"},
		{1.2345e-5, "1.2345E-5"},
		{123456.789, "123456.789"},
		{0.001, "0.001"},
		{2e-3, "0.002"},
		{math.Float64frombits(0x3FD3333333333334), "0.30000000000000004"}, // 0.1+0.2
		// Integers above 2^53 keep every digit the precision carries.
		{1 << 62, "4.6116860184273879E18"},
		{1 << 60, "1.15292150460684698E18"},
		{1 << 54, "1.8014398509481984E16"},
		{9007199254740993, "9.007199254740992E15"},
		// The symmetric stopping test misses 1.0E23.
		{1e23, "9.999999999999999E22"},
		{2e22, "2.0E22"},
		// E-form wants two digits, and takes the true second digit.
		{5e-324, "4.9E-324"},
		{-5e-324, "-4.9E-324"},
		{1e-323, "1.0E-323"},
		{math.MaxFloat64, "1.7976931348623157E308"},
		{math.SmallestNonzeroFloat64 * (1 << 52), "2.2250738585072014E-308"},
		{1.0 / 3, "0.3333333333333333"},
		{100.0 / 3, "33.333333333333336"},
		{2.0 / 3 * 1e-5, "6.666666666666667E-6"},
	}
	for _, tc := range tests {
		if got := FormatDouble(tc.f); got != tc.want {
			t.Errorf("FormatDouble(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func FuzzFormatDouble(f *testing.F) {
	for _, x := range []float64{1, 0.1, 1 << 62, 1e23, 5e-324, math.MaxFloat64, 2e-3} {
		f.Add(math.Float64bits(x))
	}
	f.Fuzz(func(t *testing.T, u uint64) {
		x := math.Float64frombits(u)
		s := FormatDouble(x)
		if math.IsNaN(x) {
			if s != "NaN" {
				t.Fatalf("NaN printed %q", s)
			}
			return
		}
		if !javaDoubleForm.MatchString(s) {
			t.Fatalf("FormatDouble(%b) = %q, not Double.toString's form", x, s)
		}
		if ref := string(appendDouble(nil, x, true)); ref != s {
			t.Fatalf("FormatDouble(%b) = %q with fixed-width words, %q with math/big", x, s, ref)
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(back) != u {
			t.Fatalf("FormatDouble(%v) = %q reads back as %v (%v)", x, s, back, err)
		}
	})
}

// javaDoubleForm is the grammar of Double.toString's output.
var javaDoubleForm = regexp.MustCompile(`^-?(Infinity|[0-9]+\.[0-9]+|[1-9]\.[0-9]+E-?[0-9]+)$`)

// TestFormatDoubleMatchesJDK compares the formatter with a real JVM whose
// Double.toString still uses FloatingDecimal (JDK 8 to 18) over values
// drawn to reach every path: random bit patterns, decimal-looking values,
// integers around 2^53..2^63, powers of two and subnormals. It is skipped
// where no such JVM is installed; SLUICE_JAVA names one explicitly.
func TestFormatDoubleMatchesJDK(t *testing.T) {
	java := oldJava(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "D.java")
	prog := `import java.io.*;
public class D { public static void main(String[] a) throws Exception {
  BufferedReader r = new BufferedReader(new InputStreamReader(System.in));
  PrintWriter w = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out)));
  for (String l; (l = r.readLine()) != null; ) w.println(Double.toString(Double.longBitsToDouble(Long.parseUnsignedLong(l, 16))));
  w.flush(); } }`
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	vals := jdkProbeValues(200000)
	var in bytes.Buffer
	for _, v := range vals {
		fmt.Fprintf(&in, "%x\n", math.Float64bits(v))
	}
	cmd := exec.Command(java, src)
	cmd.Stdin = &in
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("running %s: %v", java, err)
	}
	sc := bufio.NewScanner(&out)
	bad := 0
	for i := 0; sc.Scan(); i++ {
		if got := FormatDouble(vals[i]); got != sc.Text() {
			bad++
			if bad <= 20 {
				t.Errorf("FormatDouble(%x) = %q, JDK prints %q", math.Float64bits(vals[i]), got, sc.Text())
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d values differ", bad, len(vals))
	}
}

// oldJava returns a java launcher whose Double.toString predates JDK 19's
// shortest-digits algorithm, or skips the test.
func oldJava(t *testing.T) string {
	java := os.Getenv("SLUICE_JAVA")
	if java == "" {
		var err error
		if java, err = exec.LookPath("java"); err != nil {
			t.Fatal("no java on PATH (the test services install one); set SLUICE_JAVA to a JDK 11..18")
		}
	}
	out, err := exec.Command(java, "-version").CombinedOutput()
	if err != nil {
		t.Skipf("%s -version: %v", java, err)
	}
	m := regexp.MustCompile(`version "(\d+)(?:\.(\d+))?`).FindStringSubmatch(string(out))
	if m == nil {
		t.Skipf("cannot read the version of %s: %s", java, out)
	}
	major, _ := strconv.Atoi(m[1])
	if major == 1 {
		major, _ = strconv.Atoi(m[2])
	}
	if major < 11 || major >= 19 {
		t.Skipf("%s is JDK %d; need 11..18 (single-file launch, FloatingDecimal)", java, major)
	}
	return java
}

func jdkProbeValues(n int) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	var vals []float64
	add := func(v float64) {
		if !math.IsNaN(v) {
			vals = append(vals, v, -v)
		}
	}
	for e := -1074; e <= 1023; e++ {
		p := math.Ldexp(1, e)
		add(p)
		add(math.Nextafter(p, 0))
		add(math.Nextafter(p, math.Inf(1)))
	}
	for i := 0; i < 64; i++ {
		add(math.Float64frombits(uint64(i) + 1))
	}
	for len(vals) < n {
		switch r.IntN(5) {
		case 0: // any bit pattern
			add(math.Float64frombits(r.Uint64() &^ (1 << 63)))
		case 1: // a few decimal digits at any scale, as data has
			digits := r.Int64N(1_000_000_000)
			s := strconv.FormatInt(digits, 10) + "e" + strconv.Itoa(r.IntN(60)-30)
			v, _ := strconv.ParseFloat(s, 64)
			add(v)
		case 2: // big integers, where insignificant digits are dropped
			add(float64(r.Uint64() >> uint(r.IntN(12))))
		case 3: // averages and ratios
			add(float64(r.Int64N(1<<40)) / float64(r.Int64N(1000)+1))
		case 4: // subnormals
			add(math.Float64frombits(r.Uint64() >> uint(12+r.IntN(52))))
		}
	}
	return vals
}

// BenchmarkFormatDouble measures AppendDouble against strconv's shortest
// formatting (the peer: what Go would print) and against its own
// arbitrary-precision loop on math/big, per kind of value: integers and
// short decimals take the integer and 64-bit loops, large and small
// magnitudes the arbitrary-precision one.
func BenchmarkFormatDouble(b *testing.B) {
	sets := map[string][]float64{
		"integer": {1, 42, 1000, 123456, 7},
		"decimal": {12.34, 0.5, 99.99, 3.3333333333333335, 1234.5678},
		"ratio":   {1.0 / 3, 2.0 / 7, 100.0 / 3, 0.1 + 0.2, 22.0 / 7},
		"large":   {1 << 62, 1e23, 6.02214076e23, 1.7976931348623157e308, 3e15 + 1},
		"small":   {1e-5, 5e-324, 1.23e-10, 6.62607015e-34, 2.2250738585072014e-308},
	}
	for _, name := range []string{"integer", "decimal", "ratio", "large", "small"} {
		vals := sets[name]
		b.Run(name+"/jdk", func(b *testing.B) {
			buf := make([]byte, 0, 32)
			for i := 0; i < b.N; i++ {
				buf = AppendDouble(buf[:0], vals[i%len(vals)])
			}
		})
		b.Run(name+"/jdk-mathbig", func(b *testing.B) {
			buf := make([]byte, 0, 32)
			for i := 0; i < b.N; i++ {
				buf = appendDouble(buf[:0], vals[i%len(vals)], true)
			}
		})
		b.Run(name+"/strconv", func(b *testing.B) {
			buf := make([]byte, 0, 32)
			for i := 0; i < b.N; i++ {
				buf = strconv.AppendFloat(buf[:0], vals[i%len(vals)], 'g', -1, 64)
			}
		})
	}
}
