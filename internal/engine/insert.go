package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/stream/op"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// insertValues writes one record, as ksqlDB's InsertValuesExecutor does.
func (e *Engine) insertValues(ctx context.Context, sess *Session, s *ast.InsertValues) (*Result, error) {
	fail := func(err error) error {
		return fmt.Errorf("Failed to insert values into '%s'. %w", s.Target.Name, err)
	}
	src, ok := e.cat.Source(s.Target.Name)
	if !ok {
		return nil, fmt.Errorf("Cannot insert values into an unknown stream/table: `%s`%s", s.Target.Name, e.caseHint(s.Target))
	}
	if src.Window != catalog.NoWindow {
		return nil, errors.New("Cannot insert values into windowed stream/table!")
	}
	if src.ReadOnly {
		return nil, fmt.Errorf("Cannot insert values into read-only %s: %s", strings.ToLower(src.Kind.String()), src.Name)
	}
	var cols []string
	if len(s.Columns) == 0 {
		for _, c := range src.Schema.Columns {
			cols = append(cols, c.Name)
		}
	} else {
		for _, c := range s.Columns {
			cols = append(cols, c.Name)
		}
	}
	if len(s.Columns) > 0 && len(cols) != len(s.Values) {
		// ksqlDB's parser rejects an explicit column list of another
		// length before the statement runs.
		return nil, fmt.Errorf("Failed to prepare statement: Expected number columns and values to match: %d, %d", len(cols), len(s.Values))
	}
	if len(cols) != len(s.Values) {
		var got []string
		for _, v := range s.Values {
			got = append(got, expr.FormatSQL(v))
		}
		return nil, fail(fmt.Errorf("Expected a value for each column. Expected Columns: [%s]. Got [%s]", strings.Join(quoteNames(namesOf(s.Columns)), ", "), strings.Join(got, ", ")))
	}
	vals := map[string]value.Value{}
	var headers []string
	for i, name := range cols {
		var typ *types.Type
		if c, ok := src.Schema.Find(name); ok {
			if c.Namespace == catalog.Header {
				headers = append(headers, name)
				continue
			}
			typ = c.Type
		} else {
			switch name {
			case catalog.RowTime:
				typ = types.BigintType
			case catalog.RowPartition, catalog.RowOffset:
				return nil, fail(fmt.Errorf("Inserting into column `%s` is not allowed.", name))
			default:
				return nil, fail(fmt.Errorf("Column name `%s` does not exist.", name))
			}
		}
		v, vt, err := expr.EvalConstant(s.Values[i], expr.Options{Functions: e.opts.Functions})
		if err != nil {
			if strings.Contains(err.Error(), "cannot be resolved") {
				return nil, fail(fmt.Errorf("Unsupported column reference in insert value: %s", expr.FormatSQL(s.Values[i])))
			}
			return nil, fail(err)
		}
		cv, err := coerce(v, vt, typ)
		if err != nil {
			return nil, fail(fmt.Errorf("Expected type %s for field %s but got %s(%s)%s", typ, name, baseName(vt), v, parseHint(typ, vt)))
		}
		vals[name] = cv
	}
	if len(headers) > 0 {
		return nil, fail(fmt.Errorf("Cannot insert into HEADER columns: %s", strings.Join(headers, ", ")))
	}
	if src.Kind == catalog.Table {
		var missing []string
		for _, k := range src.Schema.Key() {
			if _, ok := vals[k.Name]; !ok {
				missing = append(missing, k.Name)
			}
		}
		if len(missing) > 0 {
			return nil, fail(fmt.Errorf("Value for primary key column(s) %s is required for tables", strings.Join(missing, ", ")))
		}
	}
	ts := time.Now().UnixMilli()
	if v, ok := vals[catalog.RowTime]; ok && !v.IsNull() {
		ts = v.Bigint()
	}
	row := value.Row{Time: ts}
	for _, k := range src.Schema.Key() {
		row.Key = append(row.Key, vals[k.Name])
	}
	for _, c := range src.Schema.ValueOnly() {
		row.Val = append(row.Val, vals[c.Name])
	}
	kf, vf, err := op.Formats(src, e.opts.Registry)
	if err != nil {
		return nil, fail(err)
	}
	ks, err := kf.Serializer(ctx, op.Target(src, true))
	if err != nil {
		return nil, fail(err)
	}
	vs, err := vf.Serializer(ctx, op.Target(src, false))
	if err != nil {
		return nil, fail(err)
	}
	var key []byte
	if len(row.Key) > 0 {
		if key, err = ks.Serialize(nil, row.Key); err != nil {
			return nil, fail(fmt.Errorf("Could not serialize key: %w", err))
		}
	}
	val, err := vs.Serialize(nil, row.Val)
	if err != nil {
		return nil, fail(fmt.Errorf("Could not serialize value: %w", err))
	}
	if val == nil {
		val = []byte{}
	}
	info, err := e.opts.Log.DescribeTopic(ctx, src.Topic)
	if err != nil {
		return nil, fail(err)
	}
	part := int32(0)
	if key != nil {
		part = logstore.Partition(key, info.Partitions)
	}
	txn, err := e.opts.Log.Begin(ctx, "")
	if err != nil {
		return nil, fail(err)
	}
	if err := txn.Produce(ctx, src.Topic, logstore.Record{Key: key, Value: val, Timestamp: ts, Partition: part}); err != nil {
		_ = txn.Abort(ctx)
		return nil, fail(err)
	}
	if _, err := txn.Commit(ctx); err != nil {
		return nil, fail(err)
	}
	return &Result{Message: ""}, nil
}

func namesOf(ids []ast.Ident) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.Name
	}
	return out
}

func quoteNames(ns []string) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = "`" + n + "`"
	}
	return out
}

func baseName(t *types.Type) string {
	if t == nil {
		return "NULL"
	}
	return t.Kind.String()
}

func parseHint(to, from *types.Type) string {
	if from == nil || from.Kind != types.String {
		return ""
	}
	switch to.Kind {
	case types.Timestamp:
		return ". Timestamp format must be yyyy-mm-ddThh:mm:ss[.S]"
	case types.Time:
		return ". Time format must be hh:mm:ss[.S]"
	case types.Date:
		return ". Date format must be yyyy-mm-dd"
	}
	return ""
}

// coerce converts a constant to a column's type with ksqlDB's strict
// coercer: numbers widen, strings parse as dates and times, and compound
// values coerce element by element.
func coerce(v value.Value, from, to *types.Type) (value.Value, error) {
	if v.IsNull() {
		return value.Null, nil
	}
	if from != nil && types.CanWiden(from, to) {
		return function.Widen(v, to), nil
	}
	switch {
	case to.Kind == types.Decimal && v.Kind() == types.Decimal:
		// A literal with fewer integer digits fits; rescale it.
		r := v.Rat()
		scaled := r.Mul(r, ratPow10(to.Scale))
		if !scaled.IsInt() {
			return value.Null, errors.New("decimal does not fit")
		}
		u := scaled.Num()
		if len(u.String()) > to.Precision+boolInt(u.Sign() < 0) {
			return value.Null, errors.New("decimal does not fit")
		}
		return value.DecimalBig(u, int32(to.Scale)), nil
	case v.Kind() == types.String:
		switch to.Kind {
		case types.Timestamp:
			if t, err := parseISO(v.Str(), []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"}); err == nil {
				return value.Timestamp(t.UnixMilli()), nil
			}
		case types.Date:
			if t, err := parseISO(v.Str(), []string{"2006-01-02"}); err == nil {
				return value.Date(t.Unix() / 86400), nil
			}
		case types.Time:
			if t, err := parseISO(v.Str(), []string{"15:04:05.999999999", "15:04:05", "15:04"}); err == nil {
				return value.Time(int64(t.Hour()*3600000 + t.Minute()*60000 + t.Second()*1000 + t.Nanosecond()/1e6)), nil
			}
		}
	case v.Kind() == types.Array && to.Kind == types.Array:
		out := make([]value.Value, len(v.Elems()))
		for i, e := range v.Elems() {
			c, err := coerce(e, from.Elem, to.Elem)
			if err != nil {
				return value.Null, err
			}
			out[i] = c
		}
		return value.Array(out), nil
	case v.Kind() == types.Map && to.Kind == types.Map:
		out := make([]value.Entry, len(v.Entries()))
		for i, e := range v.Entries() {
			k, err := coerce(e.Key, from.Key, to.Key)
			if err != nil {
				return value.Null, err
			}
			x, err := coerce(e.Val, from.Elem, to.Elem)
			if err != nil {
				return value.Null, err
			}
			out[i] = value.Entry{Key: k, Val: x}
		}
		return value.Map(out), nil
	case v.Kind() == types.Struct && to.Kind == types.Struct:
		out := make([]value.Value, len(to.Fields))
		in := v.Elems()
		for i, f := range to.Fields {
			j, ff := from.Field(f.Name)
			if ff == nil {
				continue
			}
			c, err := coerce(in[j], ff.Type, f.Type)
			if err != nil {
				return value.Null, err
			}
			out[i] = c
		}
		return value.Struct(out), nil
	}
	return value.Null, fmt.Errorf("cannot coerce %s to %s", from, to)
}

func parseISO(s string, layouts []string) (time.Time, error) {
	var err error
	for _, l := range layouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// caseHint suggests the source a name differs from only by case, as
// ksqlDB does when a source is not found: quote an unquoted name that
// upper-casing broke, or unquote a quoted one.
func (e *Engine) caseHint(id ast.Ident) string {
	for _, src := range e.cat.Sources() {
		if src.Name == id.Name || !strings.EqualFold(src.Name, id.Name) {
			continue
		}
		if id.Quoted {
			if src.Name == strings.ToUpper(id.Name) {
				return fmt.Sprintf("\nDid you mean %s? Hint: try removing double quotes from the source name.", src.Name)
			}
			continue
		}
		return fmt.Sprintf("\nDid you mean \"%s\"? Hint: wrap the source name in double quotes to make it case-sensitive.", src.Name)
	}
	return ""
}
