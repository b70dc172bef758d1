package postgres

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
)

// textConv parses a column's text form (what pgoutput and a text-mode
// query send, with DateStyle=ISO, IntervalStyle=postgres, TimeZone=UTC and
// extra_float_digits=3 set on the session) into its Connect value.
type textConv func(b []byte) (any, error)

func convString(b []byte) (any, error) { return string(b), nil }

func convBool(b []byte) (any, error) {
	switch string(b) {
	case "t", "true":
		return true, nil
	case "f", "false":
		return false, nil
	}
	return nil, fmt.Errorf("bad boolean %q", b)
}

func convInt16(b []byte) (any, error) {
	n, err := strconv.ParseInt(string(b), 10, 16)
	return int16(n), err
}

func convInt32(b []byte) (any, error) {
	n, err := strconv.ParseInt(string(b), 10, 32)
	return int32(n), err
}

func convInt64(b []byte) (any, error) {
	return strconv.ParseInt(string(b), 10, 64)
}

func convFloat32(b []byte) (any, error) {
	f, err := strconv.ParseFloat(string(b), 32)
	return float32(f), err
}

func convFloat64(b []byte) (any, error) {
	return strconv.ParseFloat(string(b), 64)
}

// moneyText strips a money value's currency sign and grouping (lc_monetary
// C writes $1,234.56, negatives as -$1.00).
func numericText(b []byte) string {
	s := string(b)
	if strings.ContainsAny(s, "$,") {
		s = strings.NewReplacer("$", "", ",", "").Replace(s)
	}
	return s
}

// parseDecimal reads plain decimal text into an unscaled integer and its
// scale.
func parseDecimal(s string) (connect.Decimal, error) {
	scale := 0
	digits := s
	if i := strings.IndexByte(s, '.'); i >= 0 {
		scale = len(s) - i - 1
		digits = s[:i] + s[i+1:]
	}
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return connect.Decimal{}, fmt.Errorf("bad numeric %q", s)
	}
	return connect.Decimal{Unscaled: u, Scale: scale}, nil
}

func convDecimal(scale int) textConv {
	return func(b []byte) (any, error) {
		s := numericText(b)
		if s == "NaN" || strings.HasSuffix(s, "Infinity") {
			return nil, nil // Debezium's precise mode has no NaN
		}
		d, err := parseDecimal(s)
		if err != nil {
			return nil, err
		}
		if d.Scale < scale {
			m := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-d.Scale)), nil)
			d = connect.Decimal{Unscaled: d.Unscaled.Mul(d.Unscaled, m), Scale: scale}
		}
		return d, nil
	}
}

func convVarDecimal(s *connect.Schema) textConv {
	return func(b []byte) (any, error) {
		str := numericText(b)
		if str == "NaN" || strings.HasSuffix(str, "Infinity") {
			return nil, nil
		}
		d, err := parseDecimal(str)
		if err != nil {
			return nil, err
		}
		st := connect.NewStruct(s)
		st.Values[0] = int32(d.Scale)
		st.Values[1] = twosComplement(d.Unscaled)
		return st, nil
	}
}

// twosComplement is Java's BigInteger.toByteArray.
func twosComplement(u *big.Int) []byte {
	if u.Sign() >= 0 {
		b := u.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// The smallest byte count whose range reaches u is the one that
	// holds |u|-1 with a sign bit to spare.
	n := (new(big.Int).Sub(new(big.Int).Neg(u), big.NewInt(1)).BitLen() + 8) / 8
	b := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), uint(n*8)), u).Bytes()
	for len(b) < n {
		b = append([]byte{0xff}, b...)
	}
	return b
}

func convNumericDouble(b []byte) (any, error) {
	return strconv.ParseFloat(numericText(b), 64)
}

func convNumericString(b []byte) (any, error) { return numericText(b), nil }

func convBytea(b []byte) (any, error) {
	s := string(b)
	if strings.HasPrefix(s, `\x`) {
		return hex.DecodeString(s[2:])
	}
	return unescapeBytea(s)
}

// unescapeBytea reads bytea_output=escape text.
func unescapeBytea(s string) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			out = append(out, '\\')
			i++
			continue
		}
		if i+3 >= len(s) {
			return nil, fmt.Errorf("bad bytea escape in %q", s)
		}
		n, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
		if err != nil {
			return nil, fmt.Errorf("bad bytea escape in %q", s)
		}
		out = append(out, byte(n))
		i += 3
	}
	return out, nil
}

func convByteaBase64(b []byte) (any, error) {
	raw, err := convBytea(b)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString(raw.([]byte)), nil
}

func convByteaHex(b []byte) (any, error) {
	raw, err := convBytea(b)
	if err != nil {
		return nil, err
	}
	return hex.EncodeToString(raw.([]byte)), nil
}

func convBit(b []byte) (any, error) { return string(b) == "1", nil }

// convBits packs a bit string as Debezium's Bits: little-endian bytes of
// the number the bits spell.
func convBits(b []byte) (any, error) {
	n, ok := new(big.Int).SetString(string(b), 2)
	if !ok {
		return nil, fmt.Errorf("bad bit string %q", b)
	}
	be := n.Bytes()
	le := make([]byte, len(be))
	for i, x := range be {
		le[len(be)-1-i] = x
	}
	if len(le) == 0 {
		le = []byte{0}
	}
	return le, nil
}

// parseDate reads YYYY-MM-DD (with a " BC" suffix for BC dates).
func parseDate(s string) (time.Time, error) {
	bc := strings.HasSuffix(s, " BC")
	s = strings.TrimSuffix(s, " BC")
	switch s {
	case "infinity":
		return time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), nil
	case "-infinity":
		return time.Date(-4713, 11, 24, 0, 0, 0, 0, time.UTC), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad date %q", s)
	}
	if bc {
		t = t.AddDate(-2*t.Year()+1, 0, 0)
	}
	return t, nil
}

func epochDays(t time.Time) int64 {
	return int64(math.Floor(float64(t.Unix()) / 86400))
}

func convDate(b []byte) (any, error) {
	t, err := parseDate(string(b))
	if err != nil {
		return nil, err
	}
	return int32(epochDays(t)), nil
}

func convDateConnect(b []byte) (any, error) {
	t, err := parseDate(string(b))
	if err != nil {
		return nil, err
	}
	return t, nil
}

// timeMicros reads HH:MM:SS[.ffffff] as microseconds past midnight.
func timeMicros(s string) (int64, error) {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return 0, fmt.Errorf("bad time %q", s)
	}
	h, e1 := strconv.Atoi(s[0:2])
	m, e2 := strconv.Atoi(s[3:5])
	sec, e3 := strconv.Atoi(s[6:8])
	if e1 != nil || e2 != nil || e3 != nil {
		return 0, fmt.Errorf("bad time %q", s)
	}
	us := int64(h*3600+m*60+sec) * 1e6
	if len(s) > 8 {
		if s[8] != '.' {
			return 0, fmt.Errorf("bad time %q", s)
		}
		frac := s[9:]
		if len(frac) > 6 || len(frac) == 0 {
			return 0, fmt.Errorf("bad time %q", s)
		}
		f, err := strconv.Atoi(frac + strings.Repeat("0", 6-len(frac)))
		if err != nil {
			return 0, fmt.Errorf("bad time %q", s)
		}
		us += int64(f)
	}
	return us, nil
}

func convTimeMicros(b []byte) (any, error) { return timeMicros(string(b)) }

func convTimeMillis(b []byte) (any, error) {
	us, err := timeMicros(string(b))
	return int32(us / 1000), err
}

func convTimeConnect(b []byte) (any, error) {
	us, err := timeMicros(string(b))
	return time.UnixMicro(us).UTC(), err
}

// splitZone splits a trailing zone offset (+HH, -HH:MM, +HH:MM:SS) off s.
func splitZone(s string) (string, int, error) {
	i := strings.LastIndexAny(s, "+-")
	if i < 0 || i < len(s)-9 {
		return s, 0, fmt.Errorf("no zone offset in %q", s)
	}
	zone := s[i+1:]
	sign := 1
	if s[i] == '-' {
		sign = -1
	}
	parts := strings.Split(zone, ":")
	secs := 0
	for j, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return s, 0, fmt.Errorf("bad zone offset in %q", s)
		}
		secs += n * []int{3600, 60, 1}[min(j, 2)]
	}
	return s[:i], sign * secs, nil
}

func convTimeTZ(b []byte) (any, error) {
	t, off, err := splitZone(string(b))
	if err != nil {
		return nil, err
	}
	us, err := timeMicros(t)
	if err != nil {
		return nil, err
	}
	us -= int64(off) * 1e6
	day := int64(86400e6)
	us = ((us % day) + day) % day
	return formatClock(us) + "Z", nil
}

// formatClock writes microseconds past midnight as Java's ISO_LOCAL_TIME
// does: seconds always, the fraction only when non-zero and without
// trailing zeros.
func formatClock(us int64) string {
	s := us / 1e6
	out := fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	if f := us % 1e6; f != 0 {
		out += strings.TrimRight(fmt.Sprintf(".%06d", f), "0")
	}
	return out
}

// timestampMicros reads "YYYY-MM-DD HH:MM:SS[.ffffff]" as microseconds
// since the epoch.
func timestampMicros(s string) (int64, error) {
	switch s {
	case "infinity":
		return math.MaxInt64, nil
	case "-infinity":
		return math.MinInt64, nil
	}
	bc := strings.HasSuffix(s, " BC")
	s = strings.TrimSuffix(s, " BC")
	i := strings.IndexByte(s, ' ')
	if i < 0 {
		return 0, fmt.Errorf("bad timestamp %q", s)
	}
	d, err := time.Parse("2006-01-02", s[:i])
	if err != nil {
		return 0, fmt.Errorf("bad timestamp %q", s)
	}
	if bc {
		d = d.AddDate(-2*d.Year()+1, 0, 0)
	}
	us, err := timeMicros(s[i+1:])
	if err != nil {
		return 0, err
	}
	return d.Unix()*1e6 + us, nil
}

func convTimestampMicros(b []byte) (any, error) { return timestampMicros(string(b)) }

func convTimestampMillis(b []byte) (any, error) {
	us, err := timestampMicros(string(b))
	if err != nil {
		return nil, err
	}
	return int64(math.Floor(float64(us) / 1000)), nil
}

func convTimestampConnect(b []byte) (any, error) {
	us, err := timestampMicros(string(b))
	if err != nil {
		return nil, err
	}
	return time.UnixMicro(us).UTC(), nil
}

// convTimestampTZ writes a timestamptz as Debezium's ZonedTimestamp: ISO
// 8601 in UTC with a Z.
func convTimestampTZ(b []byte) (any, error) {
	s := string(b)
	switch s {
	case "infinity", "-infinity":
		return s, nil
	}
	bc := strings.HasSuffix(s, " BC")
	s = strings.TrimSuffix(s, " BC")
	local, off, err := splitZone(s)
	if err != nil {
		return nil, err
	}
	us, err := timestampMicros(local)
	if err != nil {
		return nil, err
	}
	us -= int64(off) * 1e6
	t := time.UnixMicro(us).UTC()
	if bc {
		t = t.AddDate(-2*t.Year()+1, 0, 0)
	}
	day := us - int64(math.Floor(float64(us)/86400e6))*86400e6
	return fmt.Sprintf("%04d-%02d-%02dT%sZ", t.Year(), int(t.Month()), t.Day(), formatClock(day)), nil
}

// Debezium converts months to days at the average month length.
const daysPerMonth = 365.25 / 12

// convInterval reads IntervalStyle=postgres text ("1 year 2 mons 3 days
// 04:05:06.789", "-00:00:01", "@ 1 day ago" is not produced) as Debezium's
// MicroDuration.
func convInterval(b []byte) (any, error) {
	years, months, days, us, err := parseInterval(string(b))
	if err != nil {
		return nil, err
	}
	total := float64(years*12+months)*daysPerMonth*86400e6 + float64(days)*86400e6 + float64(us)
	return int64(math.Round(total)), nil
}

func parseInterval(s string) (years, months, days, us int64, err error) {
	f := strings.Fields(s)
	for i := 0; i < len(f); i++ {
		tok := f[i]
		if strings.Contains(tok, ":") {
			neg := strings.HasPrefix(tok, "-")
			tok = strings.TrimLeft(tok, "+-")
			parts := strings.SplitN(tok, ":", 3)
			if len(parts) != 3 {
				return 0, 0, 0, 0, fmt.Errorf("bad interval %q", s)
			}
			h, e1 := strconv.ParseInt(parts[0], 10, 64)
			clock, e2 := timeMicros("00:" + parts[1] + ":" + parts[2])
			if e1 != nil || e2 != nil {
				return 0, 0, 0, 0, fmt.Errorf("bad interval %q", s)
			}
			v := h*3600e6 + clock
			if neg {
				v = -v
			}
			us += v
			continue
		}
		if i+1 >= len(f) {
			return 0, 0, 0, 0, fmt.Errorf("bad interval %q", s)
		}
		n, e := strconv.ParseInt(tok, 10, 64)
		if e != nil {
			return 0, 0, 0, 0, fmt.Errorf("bad interval %q", s)
		}
		switch unit := strings.TrimSuffix(f[i+1], "s"); unit {
		case "year":
			years += n
		case "mon":
			months += n
		case "day":
			days += n
		default:
			return 0, 0, 0, 0, fmt.Errorf("bad interval unit %q in %q", unit, s)
		}
		i++
	}
	return years, months, days, us, nil
}

// convIntervalString writes an interval as ISO 8601 (P1Y2M3DT4H5M6.78S),
// as Debezium's interval.handling.mode=string does.
func convIntervalString(b []byte) (any, error) {
	y, m, d, us, err := parseInterval(string(b))
	if err != nil {
		return nil, err
	}
	h := us / 3600e6
	mi := us / 60e6 % 60
	sec := float64(us%60e6) / 1e6
	return fmt.Sprintf("P%dY%dM%dDT%dH%dM%sS", y, m, d, h, mi, strconv.FormatFloat(sec, 'f', -1, 64)), nil
}

// arrayConv parses a one-dimensional array literal ({a,"b c",NULL}) and
// converts each element.
func arrayConv(elem textConv) textConv {
	return func(b []byte) (any, error) {
		items, err := parseArray(string(b))
		if err != nil {
			return nil, err
		}
		out := make([]any, len(items))
		for i, it := range items {
			if it == nil {
				continue
			}
			if out[i], err = elem([]byte(*it)); err != nil {
				return nil, fmt.Errorf("array element %d: %w", i, err)
			}
		}
		return out, nil
	}
}

// parseArray splits an array literal into its elements; NULL elements
// are nil. Nested arrays are flattened into their text form.
func parseArray(s string) ([]*string, error) {
	if i := strings.IndexByte(s, '='); i >= 0 && strings.HasPrefix(s, "[") {
		s = s[i+1:] // explicit bounds: [0:2]={...}
	}
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("bad array %q", s)
	}
	body := s[1 : len(s)-1]
	var out []*string
	if body == "" {
		return []*string{}, nil
	}
	for i := 0; i <= len(body); {
		var item strings.Builder
		quoted := false
		depth := 0
		j := i
		for ; j < len(body); j++ {
			c := body[j]
			if quoted {
				switch c {
				case '\\':
					j++
					if j < len(body) {
						item.WriteByte(body[j])
					}
				case '"':
					quoted = false
				default:
					item.WriteByte(c)
				}
				continue
			}
			if c == ',' && depth == 0 {
				break
			}
			switch c {
			case '"':
				quoted = true
				if depth > 0 {
					item.WriteByte(c)
				}
				continue
			case '{':
				depth++
			case '}':
				depth--
			}
			item.WriteByte(c)
		}
		raw := body[i:j]
		if raw == "NULL" {
			out = append(out, nil)
		} else {
			v := item.String()
			out = append(out, &v)
		}
		i = j + 1
		if j >= len(body) {
			break
		}
	}
	return out, nil
}
