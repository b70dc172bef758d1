package engine

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/sql/ast"
)

// propKind is the type a WITH property's literal must have.
type propKind uint8

const (
	propString propKind = iota
	propInt
	propBool
)

// propSpec declares one WITH-clause property, as ksqlDB's CreateConfigs and
// CreateAsConfigs do.
type propSpec struct {
	name string
	kind propKind
}

var createProps = []propSpec{
	{"KAFKA_TOPIC", propString}, {"PARTITIONS", propInt}, {"REPLICAS", propInt},
	{"RETENTION_MS", propInt}, {"CLEANUP_POLICY", propString},
	{"KEY_FORMAT", propString}, {"VALUE_FORMAT", propString}, {"FORMAT", propString},
	{"WRAP_SINGLE_VALUE", propBool}, {"TIMESTAMP", propString}, {"TIMESTAMP_FORMAT", propString},
	{"KEY_DELIMITER", propString}, {"VALUE_DELIMITER", propString},
	{"KEY_SCHEMA_ID", propInt}, {"VALUE_SCHEMA_ID", propInt},
	{"KEY_SCHEMA_FULL_NAME", propString}, {"VALUE_SCHEMA_FULL_NAME", propString},
	{"VALUE_AVRO_SCHEMA_FULL_NAME", propString},
	{"KEY_PROTOBUF_NULLABLE_REPRESENTATION", propString}, {"VALUE_PROTOBUF_NULLABLE_REPRESENTATION", propString},
	{"WINDOW_TYPE", propString}, {"WINDOW_SIZE", propString}, {"SOURCE_CONNECTOR", propString},
}

// createAsProps are the properties CSAS/CTAS/INSERT INTO accept.
var createAsProps = []propSpec{
	{"KAFKA_TOPIC", propString}, {"PARTITIONS", propInt}, {"REPLICAS", propInt},
	{"RETENTION_MS", propInt},
	{"KEY_FORMAT", propString}, {"VALUE_FORMAT", propString}, {"FORMAT", propString},
	{"WRAP_SINGLE_VALUE", propBool}, {"TIMESTAMP", propString}, {"TIMESTAMP_FORMAT", propString},
	{"KEY_DELIMITER", propString}, {"VALUE_DELIMITER", propString},
	{"KEY_SCHEMA_ID", propInt}, {"VALUE_SCHEMA_ID", propInt},
	{"KEY_SCHEMA_FULL_NAME", propString}, {"VALUE_SCHEMA_FULL_NAME", propString},
	{"VALUE_AVRO_SCHEMA_FULL_NAME", propString},
	{"KEY_PROTOBUF_NULLABLE_REPRESENTATION", propString}, {"VALUE_PROTOBUF_NULLABLE_REPRESENTATION", propString},
	{"RETENTION_MS", propInt},
}

// withProps is a validated WITH clause: upper-cased names to literal text.
type withProps struct {
	vals map[string]string
	set  map[string]bool
}

func (w withProps) str(name string) (string, bool) {
	v, ok := w.vals[name]
	return v, ok
}

func (w withProps) intVal(name string) (int64, bool) {
	v, ok := w.vals[name]
	if !ok {
		return 0, false
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n, true
}

func (w withProps) boolVal(name string) (bool, bool) {
	v, ok := w.vals[name]
	if !ok {
		return false, false
	}
	return strings.EqualFold(v, "true"), true
}

// parseWith validates a WITH clause against specs and returns its values,
// with errors worded as ksqlDB's ConfigDef validation words them.
func parseWith(props ast.Properties, specs []propSpec) (withProps, error) {
	out := withProps{vals: map[string]string{}, set: map[string]bool{}}
	byName := map[string]propSpec{}
	for _, s := range specs {
		byName[s.name] = s
	}
	var unknown []string
	for _, p := range props {
		name := strings.ToUpper(p.Name)
		spec, ok := byName[name]
		if !ok {
			unknown = append(unknown, name)
			continue
		}
		text, isStr, err := literalText(p.Value)
		if err != nil {
			return out, fmt.Errorf("Invalid value for WITH property %s: %w", name, err)
		}
		switch spec.kind {
		case propInt:
			if _, err := strconv.ParseInt(strings.TrimSpace(text), 10, 32); err != nil {
				return out, fmt.Errorf("Invalid value %s for property %s: Not a number of type INT", text, name)
			}
		case propBool:
			if !strings.EqualFold(text, "true") && !strings.EqualFold(text, "false") {
				return out, fmt.Errorf("Invalid value %s for property %s: Expected value to be either true or false", text, name)
			}
		case propString:
			_ = isStr
		}
		out.vals[name] = text
		out.set[name] = true
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return out, fmt.Errorf("Invalid config variable(s) in the WITH clause: %s", strings.Join(unknown, ","))
	}
	return out, nil
}

// literalText returns a WITH literal's text: strings unquoted, numbers and
// booleans as written.
func literalText(e ast.Expr) (string, bool, error) {
	switch l := e.(type) {
	case *ast.StringLit:
		return l.Value, true, nil
	case *ast.IntegerLit:
		return strconv.FormatInt(l.Value, 10), false, nil
	case *ast.DecimalLit:
		return l.Text, false, nil
	case *ast.DoubleLit:
		return l.Text, false, nil
	case *ast.BoolLit:
		return strconv.FormatBool(l.Value), false, nil
	case *ast.Unary:
		if l.Op == "-" {
			t, s, err := literalText(l.X)
			return "-" + t, s, err
		}
	}
	return "", false, fmt.Errorf("expected a literal, got %s", ast.Format(e))
}
