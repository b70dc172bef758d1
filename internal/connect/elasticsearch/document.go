package elasticsearch

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/elasticsearch/bulk"
)

// ErrInvalidRecord is wrapped by errors for records that cannot become a
// document: the Confluent connector's DataException, which
// drop.invalid.message and errors.tolerance govern.
var ErrInvalidRecord = errors.New("elasticsearch: invalid record")

// ErrNullValue is returned for a tombstone under
// behavior.on.null.values=fail.
var ErrNullValue = errors.New("elasticsearch: null value")

// IndexName turns a topic into an index name as the Confluent connector
// does: lower-cased, at most 255 bytes, without a leading - _ or +, and
// with . and .. spelled out.
func IndexName(topic string) string {
	s := strings.ToLower(topic)
	if len(s) > 255 {
		s = s[:255]
	}
	s = strings.TrimLeft(s, "-_+")
	if s == "." || s == ".." {
		s = strings.ReplaceAll(s, ".", "dot")
	}
	return s
}

// DocumentID converts a record key to a document id as the Confluent
// connector does: integers and strings give their text. Other key types
// are an error there; Sluice accepts a struct key of one field as that
// field, and otherwise uses the key's JSON, so a multi-column ksqlDB key
// still gives a stable id.
func DocumentID(s *connect.Schema, key any) (string, error) {
	switch k := key.(type) {
	case nil:
		return "", fmt.Errorf("%w: key is used as document id and can not be null", ErrInvalidRecord)
	case string:
		return k, nil
	case int8:
		return strconv.FormatInt(int64(k), 10), nil
	case int16:
		return strconv.FormatInt(int64(k), 10), nil
	case int32:
		return strconv.FormatInt(int64(k), 10), nil
	case int64:
		return strconv.FormatInt(k, 10), nil
	case int:
		return strconv.Itoa(k), nil
	case *connect.Struct:
		if len(k.Values) == 1 {
			if id, err := DocumentID(k.Schema.Fields[0].Schema, k.Values[0]); err == nil {
				return id, nil
			}
		}
	case map[string]any, map[any]any:
	default:
		return "", fmt.Errorf("%w: %T is not supported as the document id", ErrInvalidRecord, key)
	}
	b, err := appendJSON(nil, s, key)
	if err != nil {
		return "", fmt.Errorf("%w: key: %w", ErrInvalidRecord, err)
	}
	return string(b), nil
}

// builder turns records into bulk actions under one connector's settings.
type builder struct {
	s    *settings
	buf  []byte
	keys []keyField
}

// action builds the bulk action for r. It returns ok=false for a record
// to skip (an ignored tombstone).
func (b *builder) action(r *connect.Record) (a bulk.Action, ok bool, err error) {
	a = bulk.Action{Index: IndexName(r.Topic), Ref: r}
	if b.s.keyIgnore {
		a.ID = r.Topic + "+" + strconv.FormatInt(int64(r.Partition), 10) + "+" + strconv.FormatInt(r.Offset, 10)
	} else {
		id, err := DocumentID(r.KeySchema, r.Key)
		if err != nil {
			if r.Value == nil && b.s.onNull != nullFail {
				// A tombstone without a usable key cannot delete anything.
				return a, false, nil
			}
			return a, false, err
		}
		a.ID = id
		// The offset as an external version makes a replay after a crash,
		// or a retried batch overtaken by a newer one, a no-op.
		a.Versioned, a.Version = true, r.Offset
	}
	if r.Value == nil {
		switch b.s.onNull {
		case nullIgnore:
			return a, false, nil
		case nullDelete:
			if b.s.keyIgnore {
				return a, false, nil
			}
			a.Op = bulk.OpDelete
			return a, true, nil
		default:
			return a, false, fmt.Errorf("%w: record at %s-%d@%d has a null value (behavior.on.null.values=fail)", ErrNullValue, r.Topic, r.Partition, r.Offset)
		}
	}
	if b.s.method == methodUpsert {
		a.Op = bulk.OpUpsert
	}
	src, err := b.source(r)
	if err != nil {
		return a, false, err
	}
	a.Source = src
	return a, true, nil
}

// source is the value as JSON, with the key columns added when the value
// lacks them. It is written into the builder's buffer, which the next
// call reuses: the bulk writer copies it into its request as it is added,
// so no document allocates a buffer of its own.
func (b *builder) source(r *connect.Record) ([]byte, error) {
	var err error
	if !b.keyFieldsInto(r) {
		b.buf, err = appendJSON(b.buf[:0], r.ValueSchema, r.Value)
	} else {
		b.buf, err = appendObjectWith(b.buf[:0], r.ValueSchema, r.Value, b.keys)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: value of %s-%d@%d: %w", ErrInvalidRecord, r.Topic, r.Partition, r.Offset, err)
	}
	return b.buf, nil
}

// keyFieldsInto sets b.keys to r's key fields to write into its document
// and says whether there are any. A struct key, the common case, reuses
// b.keys rather than allocating a slice per record.
func (b *builder) keyFieldsInto(r *connect.Record) bool {
	if k, ok := r.Key.(*connect.Struct); ok && b.s.keyInclude {
		b.keys = b.keys[:0]
		for i, f := range k.Schema.Fields {
			if !hasField(r.ValueSchema, r.Value, f.Name) {
				b.keys = append(b.keys, keyField{f.Name, f.Schema, k.Values[i]})
			}
		}
		return len(b.keys) > 0
	}
	b.keys = b.keyFields(r)
	return len(b.keys) > 0
}

// keyField is a key column to write into the document.
type keyField struct {
	name   string
	schema *connect.Schema
	value  any
}

func (b *builder) keyFields(r *connect.Record) []keyField {
	if !b.s.keyInclude || r.Key == nil {
		return nil
	}
	switch k := r.Key.(type) {
	case *connect.Struct:
		out := make([]keyField, 0, len(k.Values))
		for i, f := range k.Schema.Fields {
			if !hasField(r.ValueSchema, r.Value, f.Name) {
				out = append(out, keyField{f.Name, f.Schema, k.Values[i]})
			}
		}
		return out
	case map[string]any:
		var out []keyField
		for name, v := range k {
			if !hasField(r.ValueSchema, r.Value, name) {
				out = append(out, keyField{name: name, value: v})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
		return out
	}
	if b.s.keyField == "" || hasField(r.ValueSchema, r.Value, b.s.keyField) {
		return nil
	}
	return []keyField{{b.s.keyField, r.KeySchema, r.Key}}
}

func hasField(s *connect.Schema, v any, name string) bool {
	switch v := v.(type) {
	case *connect.Struct:
		return v.Schema.Field(name) != nil
	case map[string]any:
		_, ok := v[name]
		return ok
	}
	// A value that is not an object has no fields; the key columns are
	// not added to it.
	return true
}

// appendObjectWith writes the key fields first, as ksqlDB lists key
// columns before value columns, then the value's fields.
func appendObjectWith(b []byte, s *connect.Schema, v any, extra []keyField) ([]byte, error) {
	b = append(b, '{')
	for i, f := range extra {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.name)
		b = append(b, ':')
		var err error
		if b, err = appendJSON(b, f.schema, f.value); err != nil {
			return nil, err
		}
	}
	if st, ok := v.(*connect.Struct); ok {
		// The value's fields follow the key's in the same object.
		for i, f := range st.Schema.Fields {
			if len(extra) > 0 || i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, f.Name)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, f.Schema, st.Values[i]); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
		}
		return append(b, '}'), nil
	}
	mark := len(b)
	b, err := appendJSON(b, s, v)
	if err != nil {
		return nil, err
	}
	// Splice the value's object into the key fields' one: drop its braces.
	inner := b[mark:]
	if len(inner) <= 2 {
		return append(b[:mark], '}'), nil
	}
	n := copy(b[mark+1:], inner[1:len(inner)-1])
	b[mark] = ','
	b = b[:mark+1+n]
	return append(b, '}'), nil
}

// appendJSON writes a Connect value as schemaless JSON, as Kafka Connect's
// JsonConverter (schemas.enable=false, decimal.format=NUMERIC) does:
// Decimal as a number, Timestamp and Time as milliseconds, Date as days
// since the epoch, bytes as base64.
func appendJSON(b []byte, s *connect.Schema, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int8:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case float32:
		return appendFloat(b, float64(v), 32), nil
	case float64:
		return appendFloat(b, v, 64), nil
	case []byte:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v)
		return append(b, '"'), nil
	case connect.Decimal:
		return append(b, v.String()...), nil
	case *connect.Decimal:
		return append(b, v.String()...), nil
	case time.Time:
		name := ""
		if s != nil {
			name = s.Name
		}
		switch name {
		case connect.DateName:
			return strconv.AppendInt(b, v.Unix()/86400, 10), nil
		case connect.TimeName:
			y, m, d := v.Date()
			return strconv.AppendInt(b, v.Sub(time.Date(y, m, d, 0, 0, 0, 0, v.Location())).Milliseconds(), 10), nil
		}
		return strconv.AppendInt(b, v.UnixMilli(), 10), nil
	case *connect.Struct:
		b = append(b, '{')
		for i, f := range v.Schema.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, f.Name)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, f.Schema, v.Values[i]); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
		}
		return append(b, '}'), nil
	case []any:
		var elem *connect.Schema
		if s != nil {
			elem = s.Elem
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, elem, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		var elem *connect.Schema
		if s != nil {
			elem = s.Elem
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, elem, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case map[any]any:
		// Non-string keys become an array of [key, value] pairs, as
		// JsonConverter writes such maps.
		var ks, es *connect.Schema
		if s != nil {
			ks, es = s.KeyS, s.Elem
		}
		b = append(b, '[')
		i := 0
		for k, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			i++
			b = append(b, '[')
			var err error
			if b, err = appendJSON(b, ks, k); err != nil {
				return nil, err
			}
			b = append(b, ',')
			if b, err = appendJSON(b, es, e); err != nil {
				return nil, err
			}
			b = append(b, ']')
		}
		return append(b, ']'), nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

// appendFloat writes a float as Jackson does for finite values; JSON has
// no NaN or infinities, so those become null.
func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		b = strconv.AppendFloat(b, f, 'f', -1, bits)
		return append(b, ".0"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

func appendString(b []byte, s string) []byte { return bulk.AppendJSONString(b, s) }
