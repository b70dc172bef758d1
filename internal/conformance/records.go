package conformance

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/stream/op"
)

// feed produces the test's inputs one at a time, running the engine until
// idle after each, as ksqlDB's TopologyTestDriver pipes records.
func (r *Runner) feed(ctx context.Context, env *testEnv, t Test) error {
	for i, rec := range t.Inputs {
		src := sourceFor(env.eng, rec.Topic)
		key, val, err := encodeInput(ctx, env.reg, src, rec)
		if err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
		var ts int64
		if rec.Timestamp != nil {
			ts = *rec.Timestamp
		}
		info, err := env.log.DescribeTopic(ctx, rec.Topic)
		if err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
		part := int32(0)
		if key != nil {
			part = logstore.Partition(key, info.Partitions)
		}
		out := logstore.Record{Key: key, Value: val, Timestamp: ts, Partition: part, Headers: decodeHeaders(rec.Headers)}
		txn, err := env.log.Begin(ctx, "")
		if err != nil {
			return err
		}
		if err := txn.Produce(ctx, rec.Topic, out); err != nil {
			return err
		}
		if _, err := txn.Commit(ctx); err != nil {
			return err
		}
		if err := env.eng.RunUntilIdle(ctx); err != nil {
			return err
		}
	}
	return env.eng.RunUntilIdle(ctx)
}

func decodeHeaders(raw json.RawMessage) []logstore.Header {
	if len(raw) == 0 {
		return nil
	}
	var hs []struct {
		Key   string  `json:"KEY"`
		Value *[]byte `json:"VALUE"`
	}
	if json.Unmarshal(raw, &hs) != nil {
		return nil
	}
	out := make([]logstore.Header, len(hs))
	for i, h := range hs {
		out[i].Key = h.Key
		if h.Value != nil {
			out[i].Value = *h.Value
		}
	}
	return out
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

func decodeAny(raw json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return nil, err
	}
	return x, nil
}

func columns(cols []catalog.Column) []format.Column {
	out := make([]format.Column, len(cols))
	for i, c := range cols {
		out[i] = format.Column{Name: c.Name, Type: c.Type}
	}
	return out
}

// valueUnwrapped reports whether a source's single value column is written
// as a bare value.
func valueUnwrapped(src *catalog.Source) bool {
	if len(src.Schema.ValueOnly()) != 1 {
		return false
	}
	switch src.ValueFormat.Name {
	case format.Kafka:
		return true
	}
	for _, f := range src.ValueFeatures {
		if f == "UNWRAP_SINGLE_VALUE" {
			return true
		}
	}
	return false
}

// encodeInput turns a vector record into bytes through the source that
// reads its topic. JSON values are written as given, so malformed inputs
// reach the engine as they would from any producer.
func encodeInput(ctx context.Context, reg format.Registry, src *catalog.Source, rec Record) ([]byte, []byte, error) {
	var key, val []byte
	if src == nil {
		// No source reads the topic: write JSON text as it is.
		if !isNull(rec.Key) {
			key = rawText(rec.Key)
		}
		if !isNull(rec.Value) {
			val = rawText(rec.Value)
		}
		return key, val, nil
	}
	if !isNull(rec.Key) {
		b, err := encodeSide(ctx, reg, src, true, rec.Key)
		if err != nil {
			return nil, nil, fmt.Errorf("key: %w", err)
		}
		key = b
		if rec.Window != nil {
			key = appendWindow(key, rec.Window, src.Window == catalog.Session)
		}
	}
	if !isNull(rec.Value) {
		b, err := encodeSide(ctx, reg, src, false, rec.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("value: %w", err)
		}
		val = b
		if val == nil {
			val = []byte{}
		}
	}
	return key, val, nil
}

// rawText returns a JSON string's content, or other JSON as written.
func rawText(raw json.RawMessage) []byte {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []byte(s)
	}
	return append([]byte(nil), raw...)
}

func encodeSide(ctx context.Context, reg format.Registry, src *catalog.Source, isKey bool, raw json.RawMessage) ([]byte, error) {
	fi := src.ValueFormat
	cols := src.Schema.ValueOnly()
	unwrapped := valueUnwrapped(src)
	if isKey {
		fi, cols, unwrapped = src.KeyFormat, src.Schema.Key(), len(src.Schema.Key()) == 1
	}
	switch fi.Name {
	case format.JSON:
		return append([]byte(nil), raw...), nil
	case format.Delimited:
		return rawText(raw), nil
	}
	// Producers write with the schema the test registered for the topic,
	// which may differ from the source's columns.
	props := fi.Props
	registered := false
	if id, _, err := reg.Latest(ctx, format.Subject(src.Topic, isKey)); err == nil {
		registered = true
		props = map[string]string{}
		for k, v := range fi.Props {
			props[k] = v
		}
		if fi.Name == format.Avro || fi.Name == format.Protobuf || fi.Name == format.JSONSR {
			props[format.PropSchemaID] = fmt.Sprint(id)
		}
	}
	f, err := format.New(fi.Name, props, reg)
	if err != nil {
		return nil, err
	}
	tgt := op.Target(src, isKey)
	ser, err := f.Serializer(ctx, tgt)
	if err != nil && registered {
		// The registered schema does not fit the source's columns (the
		// source reads it with coercion): write with the schema's own.
		inf, ierr := format.InferColumns(ctx, reg, fi.Name, props, src.Topic, isKey, tgt.Wrap)
		if ierr != nil {
			return nil, err
		}
		tgt.Columns = inf.Columns
		if inf.Unwrapped && !isKey {
			tgt.Wrap = format.Unwrapped
		}
		if ser, err = f.Serializer(ctx, tgt); err != nil {
			return nil, err
		}
		cols = nil
		for _, c := range inf.Columns {
			cols = append(cols, catalog.Column{Name: c.Name, Type: c.Type})
		}
	}
	if err != nil {
		return nil, err
	}
	// The format decides whether a single column is bare: PROTOBUF keys,
	// for one, are always messages.
	if unwrapped, err = f.Unwrapped(tgt); err != nil {
		return nil, err
	}
	x, err := decodeAny(raw)
	if err != nil {
		return nil, err
	}
	row, err := format.RowFromJSON(columns(cols), x, unwrapped)
	if err != nil {
		return nil, err
	}
	return ser.Serialize(nil, row)
}

// appendWindow adds Kafka Streams' windowed-key suffix: the window start
// for time windows, end then start for session windows.
func appendWindow(key []byte, w *Window, session bool) []byte {
	if session {
		key = binary.BigEndian.AppendUint64(key, uint64(w.End))
		return binary.BigEndian.AppendUint64(key, uint64(w.Start))
	}
	return binary.BigEndian.AppendUint64(key, uint64(w.Start))
}

// actual is one output record decoded to the vectors' JSON form.
type actual struct {
	partition int32
	offset    int64
	key       any
	value     any
	ts        int64
}

// checkOutputs compares every output topic's records with the expected
// ones. Records of one partition must appear in the expected order; the
// interleaving of partitions is free, as Kafka gives no order across them.
func (r *Runner) checkOutputs(ctx context.Context, env *testEnv, t Test) error {
	byTopic := map[string][]Record{}
	var topics []string
	for _, rec := range t.Outputs {
		if _, ok := byTopic[rec.Topic]; !ok {
			topics = append(topics, rec.Topic)
		}
		byTopic[rec.Topic] = append(byTopic[rec.Topic], rec)
	}
	for _, topic := range topics {
		want := byTopic[topic]
		got, err := readTopic(ctx, env, topic)
		if err != nil {
			return err
		}
		if len(got) != len(want) {
			return fmt.Errorf("topic %s: expected %d records, got %d: %s", topic, len(want), len(got), describe(got))
		}
		queues := map[int32][]actual{}
		var parts []int32
		for _, a := range got {
			if _, ok := queues[a.partition]; !ok {
				parts = append(parts, a.partition)
			}
			queues[a.partition] = append(queues[a.partition], a)
		}
		sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
		for i, w := range want {
			matched := false
			var firstDiff string
			for _, p := range parts {
				q := queues[p]
				if len(q) == 0 {
					continue
				}
				if d := diffRecord(w, q[0]); d == "" {
					queues[p] = q[1:]
					matched = true
					break
				} else if firstDiff == "" {
					firstDiff = d
				}
			}
			if !matched {
				return fmt.Errorf("topic %s: record %d: %s", topic, i, firstDiff)
			}
		}
	}
	return nil
}

func describe(got []actual) string {
	var parts []string
	for _, a := range got {
		k, _ := json.Marshal(a.key)
		v, _ := json.Marshal(a.value)
		parts = append(parts, fmt.Sprintf("{key:%s value:%s ts:%d}", k, v, a.ts))
		if len(parts) >= 5 {
			parts = append(parts, "...")
			break
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func readTopic(ctx context.Context, env *testEnv, topic string) ([]actual, error) {
	info, err := env.log.DescribeTopic(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("output topic %s: %w", topic, err)
	}
	src := sourceFor(env.eng, topic)
	var out []actual
	for p := int32(0); p < info.Partitions; p++ {
		tp := logstore.TopicPartition{Topic: topic, Partition: p}
		offs, err := env.log.ListOffsets(ctx, tp)
		if err != nil {
			return nil, err
		}
		for off := offs.Start; off < offs.End; {
			recs, err := env.log.Fetch(ctx, tp, off, logstore.FetchOptions{})
			if err != nil {
				return nil, err
			}
			if len(recs) == 0 {
				break
			}
			for _, rec := range recs {
				a, err := decodeOutput(ctx, env.reg, src, rec)
				if err != nil {
					return nil, fmt.Errorf("topic %s offset %d: %w", topic, rec.Offset, err)
				}
				out = append(out, a)
				off = rec.Offset + 1
			}
		}
	}
	return out, nil
}

func decodeOutput(ctx context.Context, reg format.Registry, src *catalog.Source, rec logstore.Record) (actual, error) {
	a := actual{partition: rec.Partition, offset: rec.Offset, ts: rec.Timestamp}
	if src == nil {
		if rec.Key != nil {
			a.key = string(rec.Key)
		}
		if rec.Value != nil {
			a.value = string(rec.Value)
		}
		return a, nil
	}
	var err error
	if rec.Key != nil {
		key := rec.Key
		if src.Window != catalog.NoWindow {
			n := 8
			if src.Window == catalog.Session {
				n = 16
			}
			if len(key) >= n {
				key = key[:len(key)-n]
			}
		}
		if a.key, err = decodeSide(ctx, reg, src, true, key); err != nil {
			return a, fmt.Errorf("key: %w", err)
		}
	}
	if rec.Value != nil {
		if a.value, err = decodeSide(ctx, reg, src, false, rec.Value); err != nil {
			return a, fmt.Errorf("value: %w", err)
		}
	}
	return a, nil
}

func decodeSide(ctx context.Context, reg format.Registry, src *catalog.Source, isKey bool, b []byte) (any, error) {
	fi := src.ValueFormat
	cols := src.Schema.ValueOnly()
	unwrapped := valueUnwrapped(src)
	if isKey {
		fi, cols, unwrapped = src.KeyFormat, src.Schema.Key(), len(src.Schema.Key()) == 1
	}
	switch fi.Name {
	case format.JSON:
		return decodeAny(b)
	case format.Delimited:
		return string(b), nil
	}
	f, err := format.New(fi.Name, fi.Props, reg)
	if err != nil {
		return nil, err
	}
	tgt := op.Target(src, isKey)
	if _, byID := fi.Props[format.PropSchemaID]; byID && !isKey {
		// A sink bound to a registered schema writes that schema's fields,
		// defaults included, and the test reads them back with it.
		if inf, err := format.InferColumns(ctx, reg, fi.Name, fi.Props, src.Topic, isKey, tgt.Wrap); err == nil && !inf.Unwrapped {
			tgt.Columns = inf.Columns
			cols = nil
			for _, c := range inf.Columns {
				cols = append(cols, catalog.Column{Name: c.Name, Type: c.Type})
			}
		}
	}
	de, err := f.Deserializer(ctx, tgt)
	if err != nil {
		return nil, err
	}
	if unwrapped, err = f.Unwrapped(tgt); err != nil {
		return nil, err
	}
	row, err := de.Deserialize(b, nil)
	if err != nil {
		return nil, err
	}
	x := format.RowToJSON(columns(cols), row, unwrapped)
	// Round-trip through JSON so numbers compare like decoded expectations.
	j, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	return decodeAny(j)
}

// diffRecord returns "" when a matches w, else what differs.
func diffRecord(w Record, a actual) string {
	if !isNull(w.Key) || a.key != nil {
		wk, err := decodeAny(orNull(w.Key))
		if err != nil {
			return "bad expected key: " + err.Error()
		}
		if !jsonEqual(wk, a.key) {
			return fmt.Sprintf("key: expected %s, got %s", jsonText(wk), jsonText(a.key))
		}
	}
	wv, err := decodeAny(orNull(w.Value))
	if err != nil {
		return "bad expected value: " + err.Error()
	}
	if !jsonEqual(wv, a.value) {
		return fmt.Sprintf("value: expected %s, got %s", jsonText(wv), jsonText(a.value))
	}
	if w.Timestamp != nil && *w.Timestamp != a.ts {
		return fmt.Sprintf("timestamp: expected %d, got %d", *w.Timestamp, a.ts)
	}
	return ""
}

func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

func jsonText(x any) string {
	b, _ := json.Marshal(x)
	return string(b)
}

// jsonEqual compares decoded JSON with numbers compared by value.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		rx, ok1 := new(big.Rat).SetString(string(x))
		ry, ok2 := new(big.Rat).SetString(string(y))
		if !ok1 || !ok2 {
			return string(x) == string(y)
		}
		return rx.Cmp(ry) == 0
	case string:
		if y, ok := b.(json.Number); ok {
			// ksqlDB compares an expected string with a DECIMAL result as
			// BigDecimal.equals: same value and same scale.
			return decimalTextEqual(x, string(y))
		}
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
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
			if !ok {
				// ksqlDB reads expected JSON through the sink's serde, which
				// matches field names case-insensitively.
				w, ok = foldedField(y, k)
			}
			if !ok && v == nil {
				// ksqlDB's comparator looks the expected field up in the
				// actual record, and a missing one reads as null.
				continue
			}
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	}
	return false
}

// foldedField finds the one field of m whose name equals k ignoring case.
func foldedField(m map[string]any, k string) (any, bool) {
	var found any
	n := 0
	for name, v := range m {
		if strings.EqualFold(name, k) {
			found = v
			n++
		}
	}
	return found, n == 1
}

// decimalTextEqual reports whether two decimal literals have the same value
// and the same scale, as Java's BigDecimal.equals does ("005.4" equals 5.4,
// "5.40" does not).
func decimalTextEqual(a, b string) bool {
	ra, sa, ok1 := decimalScale(a)
	rb, sb, ok2 := decimalScale(b)
	return ok1 && ok2 && sa == sb && ra.Cmp(rb) == 0
}

// decimalScale parses a plain or exponent decimal literal and returns its
// value and scale (digits after the point, less the exponent).
func decimalScale(s string) (*big.Rat, int, bool) {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return nil, 0, false
		}
		mant, exp = s[:i], e
	}
	digits := strings.TrimLeft(mant, "+-")
	if digits == "" || strings.Trim(digits, "0123456789.") != "" || strings.Count(digits, ".") > 1 {
		return nil, 0, false
	}
	scale := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = len(mant) - i - 1
	}
	r, ok := new(big.Rat).SetString(s)
	return r, scale - exp, ok
}
