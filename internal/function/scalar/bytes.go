package scalar

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strings"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/value"
)

// registerBytes covers the BYTES conversions: TO_BYTES/FROM_BYTES, ENCODE
// and the *_FROM_BYTES number decoders.
func registerBytes(b *builder) {
	b.add("to_bytes", catString, "Converts a STRING value in the specified encoding to BYTES. The accepted encoders are 'hex', 'utf8', 'ascii', and 'base64'.",
		ov(pByt, ps(p("value", pStr), p("encoding", pStr)), func(a []value.Value) (value.Value, error) {
			bs, err := decodeString(a[0].Str(), a[1].Str())
			if err != nil {
				return null, err
			}
			return value.Bytes(bs), nil
		}))
	b.add("from_bytes", catString, "Converts a BYTES value to STRING in the specified encoding. The accepted encoders are 'hex', 'utf8', 'ascii', and 'base64'.",
		ov(pStr, ps(p("value", pByt), p("encoding", pStr)), func(a []value.Value) (value.Value, error) {
			s, err := encodeBytes(a[0].BytesVal(), a[1].Str())
			if err != nil {
				return null, err
			}
			return vstr(s), nil
		}))
	b.add("encode", catString, "Takes an input string s, which is encoded as input_encoding, and encodes it as output_encoding. The accepted input and output encodings are: hex, utf8, ascii, and base64. Throws exception if provided encodings are not supported.",
		ov(pStr, ps(p("str", pStr), p("inputEncoding", pStr), p("outputEncoding", pStr)), encode))
	fromBytes := func(name, desc string, ret *function.PType, size int, conv func(u uint64) value.Value) {
		fn := func(a []value.Value) (value.Value, error) {
			bs := a[0].BytesVal()
			var order binary.ByteOrder = binary.BigEndian
			if len(a) > 1 {
				switch a[1].Str() {
				case "BIG_ENDIAN":
				case "LITTLE_ENDIAN":
					order = binary.LittleEndian
				default:
					return null, fmt.Errorf("Byte order must be BIG_ENDIAN or LITTLE_ENDIAN. Unknown byte order '%s'.", a[1].Str())
				}
			}
			if len(bs) != size {
				return null, fmt.Errorf("Number of bytes must be equal to %d, but found %d", size, len(bs))
			}
			if size == 4 {
				return conv(uint64(order.Uint32(bs))), nil
			}
			return conv(order.Uint64(bs)), nil
		}
		b.add(name, function.CategoryConversions, desc,
			ov(ret, ps(p("value", pByt)), fn),
			ov(ret, ps(p("value", pByt), p("byteOrder", pStr)), fn),
		)
	}
	fromBytes("int_from_bytes", "Converts a BYTES value to an INT value according to the specified byte order. BYTES must be 4 bytes long or a NULL value will be returned.",
		pInt, 4, func(u uint64) value.Value { return value.Int(int32(uint32(u))) })
	fromBytes("bigint_from_bytes", "Converts a BYTES value to an BIGINT value according to the specified byte order. BYTES must be 8 bytes long or a NULL value will be returned.",
		pBig, 8, func(u uint64) value.Value { return value.Bigint(int64(u)) })
	fromBytes("double_from_bytes", "Converts a BYTES value to an DOUBLE value according to the specified byte order. BYTES must be 8 bytes long or a NULL value will be returned.",
		pDbl, 8, func(u uint64) value.Value { return value.Double(math.Float64frombits(u)) })
}

func unknownEncoding(enc string) error {
	return fmt.Errorf("Unknown encoding type '%s'. Supported formats are 'hex', 'utf8', 'ascii', and 'base64'.", enc)
}

// decodeString turns text in an encoding into bytes, as TO_BYTES does.
func decodeString(s, enc string) ([]byte, error) {
	switch strings.ToLower(enc) {
	case "hex":
		bs, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("hexBinary needs to be even-length: %s", s)
		}
		return bs, nil
	case "utf8":
		return []byte(s), nil
	case "ascii":
		return asciiBytes(s), nil
	case "base64":
		bs, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("Illegal base64 character in '%s'", s)
		}
		return bs, nil
	}
	return nil, unknownEncoding(enc)
}

// encodeBytes renders bytes as text in an encoding, as FROM_BYTES does.
func encodeBytes(bs []byte, enc string) (string, error) {
	switch strings.ToLower(enc) {
	case "hex":
		return strings.ToUpper(hex.EncodeToString(bs)), nil
	case "utf8":
		return strings.ToValidUTF8(string(bs), "\uFFFD"), nil
	case "ascii":
		return asciiString(bs), nil
	case "base64":
		return base64.StdEncoding.EncodeToString(bs), nil
	}
	return "", unknownEncoding(enc)
}

// asciiBytes encodes as Java's US_ASCII charset does: '?' for anything
// outside it.
func asciiBytes(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 127 {
			r = '?'
		}
		out = append(out, byte(r))
	}
	return out
}

// asciiString decodes as Java's US_ASCII charset does: U+FFFD for bytes
// above 127.
func asciiString(bs []byte) string {
	var sb strings.Builder
	for _, c := range bs {
		if c > 127 {
			sb.WriteRune('\uFFFD')
		} else {
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// hexStrip removes the 0x prefix or the X'...' quoting ENCODE accepts.
func hexStrip(s string) string {
	switch {
	case strings.HasPrefix(s, "0x"):
		if len(s)%2 != 0 {
			return "0" + s[2:]
		}
		return s[2:]
	case len(s) >= 3 && (s[0] == 'x' || s[0] == 'X') && s[1] == '\'' && s[len(s)-1] == '\'':
		return s[2 : len(s)-1]
	}
	return s
}

func encode(a []value.Value) (value.Value, error) {
	in, out := strings.ToLower(a[1].Str()), strings.ToLower(a[2].Str())
	s := a[0].Str()
	var raw []byte
	switch in {
	case "hex":
		bs, err := hex.DecodeString(hexStrip(s))
		if err != nil {
			return null, fmt.Errorf("encode: %w", err)
		}
		raw = bs
	case "utf8":
		raw = []byte(s)
	case "ascii":
		raw = asciiBytes(s)
	case "base64":
		// commons-codec decodes leniently, skipping what is not base64.
		clean := strings.Map(func(r rune) rune {
			if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' {
				return r
			}
			return -1
		}, s)
		if len(clean)%4 == 1 {
			clean = clean[:len(clean)-1]
		}
		bs, err := base64.RawStdEncoding.DecodeString(clean)
		if err != nil {
			return null, fmt.Errorf("encode: %w", err)
		}
		raw = bs
	default:
		in = ""
	}
	if in != "" {
		switch out {
		case "hex":
			return vstr(hex.EncodeToString(raw)), nil
		case "utf8":
			return vstr(strings.ToValidUTF8(string(raw), "\uFFFD")), nil
		case "ascii":
			return vstr(asciiString(raw)), nil
		case "base64":
			return vstr(base64.StdEncoding.EncodeToString(raw)), nil
		}
	}
	return null, fmt.Errorf("Supported input and output encodings are: hex, utf8, ascii and base64")
}
