package scalar

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/value"
)

const catURL = function.CategoryURL

// parseURL parses as java.net.URI would accept, with the error ksqlDB
// reports.
func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || strings.ContainsAny(s, " \"<>\\^`{|}") {
		return nil, fmt.Errorf("URL input has invalid syntax: %s", s)
	}
	return u, nil
}

// decodeComponent percent-decodes as URI's getters do ('+' stays '+').
func decodeComponent(s string) string {
	d, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return d
}

func urlPart(f func(u *url.URL) (string, bool)) function.ScalarFn {
	return func(a []value.Value) (value.Value, error) {
		u, err := parseURL(a[0].Str())
		if err != nil {
			return null, err
		}
		s, ok := f(u)
		if !ok {
			return null, nil
		}
		return vstr(s), nil
	}
}

func registerURL(b *builder) {
	in := ps(p("input", pStr))
	b.add("url_decode_param", catURL, "Decodes a previously encoded URL parameter.",
		ov(pStr, in, func(a []value.Value) (value.Value, error) {
			s, err := url.QueryUnescape(a[0].Str())
			if err != nil {
				return null, fmt.Errorf("URLDecoder: Illegal hex characters in escape (%%) pattern: %s", a[0].Str())
			}
			return vstr(s), nil
		}))
	b.add("url_encode_param", catURL, "Escapes the input string so that it can be used as a URL query parameter.",
		ov(pStr, in, func(a []value.Value) (value.Value, error) { return vstr(formParamEscape(a[0].Str())), nil }))
	b.add("url_extract_fragment", catURL, "Extracts the fragment of a URL.",
		ov(pStr, in, urlPart(func(u *url.URL) (string, bool) {
			return u.Fragment, u.Fragment != "" || strings.HasSuffix(u.String(), "#")
		})))
	b.add("url_extract_host", catURL, "Extracts the host of a URL.",
		ov(pStr, in, urlPart(func(u *url.URL) (string, bool) { h := u.Hostname(); return h, h != "" })))
	b.add("url_extract_path", catURL, "Extracts the path of a URL.",
		ov(pStr, in, urlPart(func(u *url.URL) (string, bool) { return u.Path, u.Opaque == "" })))
	b.add("url_extract_port", catURL, "Extracts the port of a URL.",
		ov(pInt, in, func(a []value.Value) (value.Value, error) {
			u, err := parseURL(a[0].Str())
			if err != nil {
				return null, err
			}
			n, err := strconv.Atoi(u.Port())
			if err != nil || n < 0 {
				return null, nil
			}
			return value.Int(int32(n)), nil
		}))
	b.add("url_extract_protocol", catURL, "Extracts the protocol of a URL.",
		ov(pStr, in, urlPart(func(u *url.URL) (string, bool) { return u.Scheme, u.Scheme != "" })))
	b.add("url_extract_query", catURL, "Extracts the query of a URL.",
		ov(pStr, in, urlPart(func(u *url.URL) (string, bool) {
			return decodeComponent(u.RawQuery), u.RawQuery != "" || u.ForceQuery
		})))
	b.add("url_extract_parameter", catURL, "Extracts a parameter from a URL's query string.",
		ov(pStr, ps(p("input", pStr), p("paramToFind", pStr)), func(a []value.Value) (value.Value, error) {
			u, err := parseURL(a[0].Str())
			if err != nil {
				return null, err
			}
			if u.RawQuery == "" && !u.ForceQuery {
				return null, nil
			}
			want := a[1].Str()
			for _, param := range strings.Split(decodeComponent(u.RawQuery), "&") {
				k, v, hasEq := strings.Cut(param, "=")
				if k == want {
					if !hasEq {
						return vstr(""), nil
					}
					return vstr(v), nil
				}
			}
			return null, nil
		}))
}

// formParamEscape is Guava's urlFormParameterEscaper: letters, digits and
// "-_.*" are safe, space becomes '+', everything else is %XX of UTF-8.
func formParamEscape(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '*':
			sb.WriteByte(c)
		case c == ' ':
			sb.WriteByte('+')
		default:
			sb.WriteByte('%')
			sb.WriteByte("0123456789ABCDEF"[c>>4])
			sb.WriteByte("0123456789ABCDEF"[c&15])
		}
	}
	return sb.String()
}
