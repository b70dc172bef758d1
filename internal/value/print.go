package value

import (
	"strconv"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/types"
)

// String renders v for humans and logs: strings unquoted at the top level,
// compound values in ksqlDB's CLI style ([1, 2], {K=V}, Struct{A=1}).
func (v Value) String() string {
	var b strings.Builder
	v.write(&b, false)
	return b.String()
}

func (v Value) write(b *strings.Builder, nested bool) {
	switch v.kind {
	case types.Null:
		b.WriteString("null")
	case types.Boolean:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case types.Int, types.Bigint:
		b.WriteString(strconv.FormatInt(v.n, 10))
	case types.Double:
		b.WriteString(FormatDouble(v.Double()))
	case types.Decimal:
		b.WriteString(v.DecimalString())
	case types.String:
		if nested {
			b.WriteString(strconv.Quote(v.s))
		} else {
			b.WriteString(v.s)
		}
	case types.Bytes:
		b.WriteString(strconv.Quote(string(v.BytesVal())))
	case types.Date:
		b.WriteString(time.UnixMilli(v.n * 86400000).UTC().Format("2006-01-02"))
	case types.Time:
		b.WriteString(time.UnixMilli(v.n).UTC().Format("15:04:05.000"))
	case types.Timestamp:
		b.WriteString(time.UnixMilli(v.n).UTC().Format("2006-01-02T15:04:05.000"))
	case types.Array:
		b.WriteByte('[')
		for i, e := range v.Elems() {
			if i > 0 {
				b.WriteString(", ")
			}
			e.write(b, true)
		}
		b.WriteByte(']')
	case types.Struct:
		b.WriteString("Struct{")
		for i, e := range v.Elems() {
			if i > 0 {
				b.WriteString(", ")
			}
			e.write(b, true)
		}
		b.WriteByte('}')
	case types.Map:
		b.WriteByte('{')
		for i, e := range v.Entries() {
			if i > 0 {
				b.WriteString(", ")
			}
			e.Key.write(b, true)
			b.WriteByte('=')
			e.Val.write(b, true)
		}
		b.WriteByte('}')
	}
}

// FormatDouble renders a DOUBLE as Java's Double.toString did up to JDK
// 18, which is what ksqlDB emits in CAST(x AS STRING) and its JSON output:
// "1.0" rather than "1", scientific notation outside [1e-3, 1e7), and the
// digits of FloatingDecimal rather than the shortest ones (2^62 is
// 4.6116860184273879E18). See AppendDouble.
func FormatDouble(f float64) string {
	var buf [32]byte
	return string(AppendDouble(buf[:0], f))
}

// DecimalString renders a DECIMAL with exactly its scale's digits, as
// Java's BigDecimal.toPlainString does.
func (v Value) DecimalString() string {
	u := v.Unscaled()
	neg := u.Sign() < 0
	digits := u.Abs(u).String()
	sc := int(v.scale)
	if sc > 0 {
		if len(digits) <= sc {
			digits = strings.Repeat("0", sc-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-sc] + "." + digits[len(digits)-sc:]
	} else if sc < 0 {
		digits += strings.Repeat("0", -sc)
	}
	if neg {
		return "-" + digits
	}
	return digits
}
