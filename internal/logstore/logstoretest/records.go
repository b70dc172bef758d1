package logstoretest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

func testRoundTrip(t *testing.T, l logstore.Log) {
	mustCreate(t, l, "rt", 2)
	big := bytes.Repeat([]byte("0123456789"), 10000)
	in := []logstore.Record{
		{Key: []byte("k1"), Value: []byte("v1"), Timestamp: 1600000000000, Partition: 1},
		{Key: nil, Value: []byte("null key"), Timestamp: 1, Partition: 1},
		{Key: []byte{}, Value: []byte("empty key"), Timestamp: 2, Partition: 1},
		{Key: []byte("tombstone"), Value: nil, Timestamp: 3, Partition: 1},
		{Key: []byte("empty value"), Value: []byte{}, Timestamp: 4, Partition: 1},
		{Key: []byte("h"), Value: []byte("headers"), Timestamp: 0, Partition: 1, Headers: []logstore.Header{
			{Key: "a", Value: []byte("1")},
			{Key: "a", Value: []byte("2")},
			{Key: "empty", Value: []byte{}},
			{Key: "null", Value: nil},
			{Key: "", Value: []byte("no key")},
		}},
		{Key: []byte("big"), Value: big, Timestamp: 5, Partition: 1},
		{Key: []byte("\x00\xff"), Value: []byte("\x00binary\xff"), Timestamp: 6, Partition: 1},
	}
	offs := produce(t, l, "rt", in...)
	if n := len(offs[tp("rt", 1)]); n != len(in) {
		t.Fatalf("Commit returned %d offsets for rt/1, want %d", n, len(in))
	}
	if n := len(offs[tp("rt", 0)]); n != 0 {
		t.Fatalf("Commit returned %d offsets for rt/0, want none", n)
	}
	got := fetchAll(t, l, tp("rt", 1), offs[tp("rt", 1)][0])
	if len(got) != len(in) {
		t.Fatalf("fetched %d records, want %d", len(got), len(in))
	}
	for i, want := range in {
		g := got[i]
		if g.Offset != offs[tp("rt", 1)][i] {
			t.Errorf("record %d: offset %d, Commit said %d", i, g.Offset, offs[tp("rt", 1)][i])
		}
		if g.Partition != 1 {
			t.Errorf("record %d: partition %d, want 1", i, g.Partition)
		}
		if !sameBytes(g.Key, want.Key) || !sameBytes(g.Value, want.Value) || g.Timestamp != want.Timestamp || !sameHeaders(g.Headers, want.Headers) {
			t.Errorf("record %d:\n got %s\nwant %s", i, describe(g), describe(want))
		}
	}
	if got := fetchAll(t, l, tp("rt", 0), 0); len(got) != 0 {
		t.Errorf("rt/0 holds %d records, want none", len(got))
	}
}

// sameBytes compares two byte slices and their nullness: a nil key or
// value is null, which differs from an empty one.
func sameBytes(a, b []byte) bool {
	return (a == nil) == (b == nil) && bytes.Equal(a, b)
}

func sameHeaders(a, b []logstore.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || !sameBytes(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func testOffsetsMonotonic(t *testing.T, l logstore.Log) {
	mustCreate(t, l, "mono", 1)
	var all []int64
	var want []string
	for txn := 0; txn < 5; txn++ {
		var recs []logstore.Record
		for i := 0; i <= txn; i++ {
			v := string(rune('a'+txn)) + string(rune('0'+i))
			recs = append(recs, val(v))
			want = append(want, v)
		}
		offs := produce(t, l, "mono", recs...)[tp("mono", 0)]
		if len(offs) != len(recs) {
			t.Fatalf("txn %d: %d offsets for %d records", txn, len(offs), len(recs))
		}
		all = append(all, offs...)
	}
	for i := 1; i < len(all); i++ {
		if all[i] <= all[i-1] {
			t.Fatalf("offsets not increasing: %v", all)
		}
	}
	got := fetchAll(t, l, tp("mono", 0), 0)
	if !equalStrings(values(got), want) {
		t.Fatalf("fetched %v, want %v", values(got), want)
	}
	for i, r := range got {
		if r.Offset != all[i] {
			t.Fatalf("record %d at offset %d, Commit said %d", i, r.Offset, all[i])
		}
	}
	offs, err := l.ListOffsets(ctxFor(t), tp("mono", 0))
	if err != nil {
		t.Fatal(err)
	}
	if offs.End <= all[len(all)-1] || offs.Start > all[0] {
		t.Errorf("ListOffsets = %+v, want to cover %d..%d", offs, all[0], all[len(all)-1])
	}
	// Reading from the middle starts exactly there.
	mid := fetchAll(t, l, tp("mono", 0), all[7])
	if len(mid) == 0 || mid[0].Offset != all[7] {
		t.Errorf("Fetch from offset %d started at %v", all[7], mid)
	}
}

func testFetchLimits(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "limits", 1)
	var recs []logstore.Record
	for i := 0; i < 100; i++ {
		recs = append(recs, logstore.Record{Key: []byte{byte(i)}, Value: bytes.Repeat([]byte{'x'}, 1000), Timestamp: int64(i)})
	}
	offs := produce(t, l, "limits", recs...)[tp("limits", 0)]
	got, err := l.Fetch(ctx, tp("limits", 0), offs[0], logstore.FetchOptions{MaxRecords: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || len(got) > 7 {
		t.Errorf("MaxRecords 7 returned %d records", len(got))
	}
	got, err = l.Fetch(ctx, tp("limits", 0), offs[0], logstore.FetchOptions{MaxBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 {
		t.Errorf("a fetch with MaxBytes below one record returned nothing; it must return at least one")
	}
	got, err = l.Fetch(ctx, tp("limits", 0), offs[0], logstore.FetchOptions{MaxBytes: 20000})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || len(got) > 40 {
		t.Errorf("MaxBytes 20000 over 1000-byte records returned %d records", len(got))
	}
}

func testFetchErrors(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "fe", 2)
	produce(t, l, "fe", val("a"))
	offs, err := l.ListOffsets(ctx, tp("fe", 0))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		tp     logstore.TopicPartition
		offset int64
		want   error
	}{
		{"unknown topic", tp("nope", 0), 0, logstore.ErrUnknownTopic},
		{"partition too high", tp("fe", 2), 0, logstore.ErrUnknownPartition},
		{"negative partition", tp("fe", -1), 0, logstore.ErrUnknownPartition},
		{"below start", tp("fe", 0), offs.Start - 1, logstore.ErrOffsetOutOfRange},
		{"past end", tp("fe", 0), offs.End + 1000, logstore.ErrOffsetOutOfRange},
	}
	for _, tc := range tests {
		_, err := l.Fetch(ctx, tc.tp, tc.offset, logstore.FetchOptions{MaxWait: 10 * time.Millisecond})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Fetch(%v, %d) = %v, want %v", tc.name, tc.tp, tc.offset, err, tc.want)
		}
	}
	if _, err := l.ListOffsets(ctx, tp("nope", 0)); !errors.Is(err, logstore.ErrUnknownTopic) {
		t.Errorf("ListOffsets(unknown topic) = %v", err)
	}
	if _, err := l.ListOffsets(ctx, tp("fe", 5)); !errors.Is(err, logstore.ErrUnknownPartition) {
		t.Errorf("ListOffsets(unknown partition) = %v", err)
	}
	if _, err := l.OffsetForTime(ctx, tp("nope", 0), 0); !errors.Is(err, logstore.ErrUnknownTopic) {
		t.Errorf("OffsetForTime(unknown topic) = %v", err)
	}
}

func testProduceErrors(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "pe", 1)
	tests := []struct {
		name  string
		topic string
		rec   logstore.Record
		want  error
	}{
		{"unknown topic", "nope", val("x"), logstore.ErrUnknownTopic},
		{"unknown partition", "pe", logstore.Record{Value: []byte("x"), Partition: 3}, logstore.ErrUnknownPartition},
	}
	for _, tc := range tests {
		tx, err := l.Begin(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		err = tx.Produce(ctx, tc.topic, tc.rec)
		if err == nil {
			_, err = tx.Commit(ctx)
		} else {
			tx.Abort(ctx)
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Produce/Commit = %v, want %v", tc.name, err, tc.want)
		}
	}
}
