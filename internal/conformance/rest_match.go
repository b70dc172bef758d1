package conformance

import (
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"
)

// Responses are compared as ksqlDB's RestTestExecutor compares them: an
// expected object names only the fields it checks; a field name may end in
// "|STARTS_WITH"; "{STATEMENT}" in an expected string is the statement the
// response answers; other values must equal the actual ones, where numbers
// written with a fraction or exponent are decimals and never equal
// integers, as Jackson reads them. Query rows' "columns" are compared as a
// multiset, unless the test's outputConditions ask for order.

// matchRESTError checks a failed request against the test's expected
// error: its status, a message containing the expected one, and for
// KsqlStatementErrorMessage a statement error that echoes the last
// statement.
func matchRESTError(t Test, status int, body any) error {
	msg, _ := field(body, "message").(string)
	if t.ExpectedError == nil {
		stmt, _ := field(body, "statementText").(string)
		return fmt.Errorf("server failed to execute statement %q: %d %s", stmt, status, msg)
	}
	ee := t.ExpectedError
	if ee.Status != 0 && ee.Status != status {
		return fmt.Errorf("expected status %d, got %d: %s", ee.Status, status, msg)
	}
	if !strings.Contains(msg, ee.Message) {
		return fmt.Errorf("expected error message containing %q, got %q", ee.Message, msg)
	}
	if strings.HasSuffix(ee.Type, ".KsqlStatementErrorMessage") {
		if typ, _ := field(body, "@type").(string); typ != "statement_error" {
			return fmt.Errorf("expected a statement error, got %q: %s", typ, msg)
		}
		last := ""
		if len(t.Statements) > 0 {
			last = t.Statements[len(t.Statements)-1]
		}
		if stmt, _ := field(body, "statementText").(string); !strings.Contains(stmt, last) {
			return fmt.Errorf("expected the error's statement to contain %q, got %q", last, stmt)
		}
	}
	return nil
}

func field(v any, name string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	return m[name]
}

// verifyRESTResponses compares the collected responses with the expected
// ones, in order; extra actual responses are ignored.
func verifyRESTResponses(got []restResponse, expected []map[string]any, stmts []string, ordered bool) error {
	if len(got) < len(expected) {
		return fmt.Errorf("not enough responses: expected %d, got %d", len(expected), len(got))
	}
	for i, want := range expected {
		var kind string
		var payload any
		for k, v := range want {
			kind, payload = k, v
		}
		g := got[i]
		if g.kind != kind {
			return fmt.Errorf("response %d: expected %s response, got %s: %s", i, kind, g.kind, jsonText(g.payload))
		}
		m := &rowMultiset{}
		path := fmt.Sprintf("responses[%d]->%s", i, kind)
		switch kind {
		case "admin":
			w, ok := payload.(map[string]any)
			if !ok {
				return fmt.Errorf("invalid test: admin response %d is not an object", i)
			}
			a, ok := dropEmpty(g.payload).(map[string]any)
			if !ok {
				return fmt.Errorf("%s: expected an object, got %s", path, jsonText(g.payload))
			}
			if err := matchFields(a, w, stmts, i, path, m, ordered); err != nil {
				return err
			}
		case "query":
			wrows, ok := payload.([]any)
			if !ok {
				return fmt.Errorf("invalid test: query response %d is not an array", i)
			}
			grows, _ := g.payload.([]any)
			if len(grows) != len(wrows) {
				return fmt.Errorf("%s: row count mismatch: expected %d, got %d\n expected %s\n got      %s", path, len(wrows), len(grows), jsonText(wrows), jsonText(grows))
			}
			for j := range grows {
				w, ok := wrows[j].(map[string]any)
				if !ok {
					return fmt.Errorf("invalid test: %s[%d] is not an object", path, j)
				}
				a, ok := dropEmpty(grows[j]).(map[string]any)
				if !ok {
					return fmt.Errorf("%s[%d]: expected an object, got %s", path, j, jsonText(grows[j]))
				}
				if err := matchFields(a, w, stmts, i, fmt.Sprintf("%s[%d]", path, j), m, ordered); err != nil {
					return fmt.Errorf("%w\n expected %s\n got      %s", err, jsonText(wrows), jsonText(grows))
				}
			}
		case "queryProto":
			if err := matchProtoRows(g.payload, payload, ordered); err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
		default:
			return fmt.Errorf("invalid test: unknown response type %q", kind)
		}
		if err := m.check(); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// matchFields checks that actual has every field of expected with its
// value, recursing into objects.
func matchFields(actual, expected map[string]any, stmts []string, idx int, path string, m *rowMultiset, ordered bool) error {
	keys := make([]string, 0, len(expected))
	for k := range expected {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, ek := range keys {
		key, op, hasOp := strings.Cut(ek, "|")
		ev := expected[ek]
		if s, ok := ev.(string); ok && idx < len(stmts) {
			ev = strings.ReplaceAll(s, "{STATEMENT}", stmts[idx])
		}
		av, ok := actual[key]
		if !ok {
			return fmt.Errorf("response mismatch at %s: no field %q in %s", path, key, jsonText(actual))
		}
		sub := path + "->" + key
		if em, ok := ev.(map[string]any); ok {
			am, ok := av.(map[string]any)
			if !ok {
				return fmt.Errorf("response mismatch at %s: expected an object, got %s", sub, jsonText(av))
			}
			if err := matchFields(am, em, stmts, idx, sub, m, ordered); err != nil {
				return err
			}
			continue
		}
		switch {
		case hasOp && strings.EqualFold(op, "STARTS_WITH"):
			as, ok1 := av.(string)
			es, ok2 := ev.(string)
			if !ok1 || !ok2 || !strings.HasPrefix(as, es) {
				return fmt.Errorf("response mismatch at %s: expected to start with %s, got %s", sub, jsonText(ev), jsonText(av))
			}
		case hasOp && !strings.EqualFold(op, "EQUALS"):
			return fmt.Errorf("invalid test: unknown match operator %q at %s", op, sub)
		case !ordered && strings.Contains(sub, "query") && strings.Contains(sub, "row") && strings.EqualFold(key, "columns"):
			m.add(av, ev, sub)
		default:
			if !javaEqual(av, ev) {
				return fmt.Errorf("response mismatch at %s: expected %s, got %s", sub, jsonText(ev), jsonText(av))
			}
		}
	}
	return nil
}

// rowMultiset collects the rows of one response to compare them ignoring
// order.
type rowMultiset struct {
	actual, expected map[string]int
	texts            map[string]string
	order            []string
}

func (m *rowMultiset) add(actual, expected any, path string) {
	if m.actual == nil {
		m.actual, m.expected, m.texts = map[string]int{}, map[string]int{}, map[string]string{}
	}
	ak, ek := canonical(actual), canonical(expected)
	if _, ok := m.actual[ak]; !ok {
		m.order = append(m.order, ak)
	}
	m.actual[ak]++
	m.expected[ek]++
	m.texts[ak] = path + ": " + jsonText(actual)
}

func (m *rowMultiset) check() error {
	for _, k := range m.order {
		if m.expected[k] == 0 {
			return fmt.Errorf("unexpected row at %s", m.texts[k])
		}
		if m.actual[k] != m.expected[k] {
			return fmt.Errorf("row %s: expected %d times, got %d", m.texts[k], m.expected[k], m.actual[k])
		}
	}
	return nil
}

// isDecimal reports whether a JSON number is written as a decimal, which
// Jackson reads as BigDecimal rather than an integer.
func isDecimal(n json.Number) bool {
	return strings.ContainsAny(string(n), ".eE")
}

// javaEqual is equality of the values Jackson reads from two JSON texts.
func javaEqual(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok || isDecimal(x) != isDecimal(y) {
			return false
		}
		rx, ok1 := new(big.Rat).SetString(string(x))
		ry, ok2 := new(big.Rat).SetString(string(y))
		if !ok1 || !ok2 {
			return string(x) == string(y)
		}
		return rx.Cmp(ry) == 0
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !javaEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !javaEqual(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}

// canonical renders a value so that javaEqual values render the same.
func canonical(v any) string {
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String()
}

func writeCanonical(b *strings.Builder, v any) {
	switch x := v.(type) {
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(x)); ok {
			if isDecimal(x) {
				b.WriteString("d:")
			} else {
				b.WriteString("i:")
			}
			b.WriteString(r.RatString())
			return
		}
		b.WriteString(string(x))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%q:", k)
			writeCanonical(b, x[k])
		}
		b.WriteByte('}')
	default:
		b.WriteString(jsonText(x))
	}
}

// dropEmpty removes the object fields that are null or empty, as ksqlDB's
// test mapper omits them (Include.NON_EMPTY) when it reads a response.
// Query row values are data, not fields, and are kept as they are.
func dropEmpty(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		if xs, ok := v.([]any); ok {
			out := make([]any, len(xs))
			for i, x := range xs {
				out[i] = dropEmpty(x)
			}
			return out
		}
		return v
	}
	out := make(map[string]any, len(m))
	for k, x := range m {
		if k == "columns" {
			out[k] = x
			continue
		}
		switch y := x.(type) {
		case nil:
			continue
		case string:
			if y == "" {
				continue
			}
		case []any:
			if len(y) == 0 {
				continue
			}
		case map[string]any:
			if len(y) == 0 {
				continue
			}
		}
		out[k] = dropEmpty(x)
	}
	return out
}
