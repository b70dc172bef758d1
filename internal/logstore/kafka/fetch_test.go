package kafka

import (
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/sluicedb/sluice/internal/logstore"
)

// TestFetchJustCreatedTopic fetches every partition of a topic the moment
// CreateTopic returns. KRaft brokers publish a new topic's metadata before
// they take up leadership of its partitions, so the first fetches may meet
// NOT_LEADER_OR_FOLLOWER; Fetch must ride that out as the Java consumer
// does rather than fail (before it did, about one fetch in ten failed).
func TestFetchJustCreatedTopic(t *testing.T) {
	l := newLog(t)
	ctx := ctxFor(t)
	const n = 64
	mustCreate(t, l, "fresh", n)
	for p := int32(0); p < n; p++ {
		tp := logstore.TopicPartition{Topic: "fresh", Partition: p}
		recs, err := l.Fetch(ctx, tp, 0, logstore.FetchOptions{MaxWait: 10 * time.Millisecond})
		if err != nil || len(recs) != 0 {
			t.Fatalf("Fetch(%v, 0) on a new topic = %d records, %v; want none and no error", tp, len(recs), err)
		}
	}
}

// TestFetchBelowLogStart moves a partition's log start past its records,
// as the broker's time retention does to records stamped in 1970 (which
// the logstore suite writes) once its periodic check runs. A Fetch below
// the new start is out of range, a Fetch at it reads on.
func TestFetchBelowLogStart(t *testing.T) {
	l := newLog(t)
	ctx := ctxFor(t)
	mustCreate(t, l, "trimmed", 1)
	tp := logstore.TopicPartition{Topic: "trimmed", Partition: 0}
	var last int64
	for _, v := range []string{"a", "b", "c"} {
		tx, err := l.Begin(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Produce(ctx, "trimmed", logstore.Record{Value: []byte(v), Timestamp: 1000}); err != nil {
			t.Fatal(err)
		}
		offs, err := tx.Commit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last = offs[tp][0]
	}
	var trim kadm.Offsets
	trim.Add(kadm.Offset{Topic: l.physical("trimmed"), Partition: 0, At: last})
	resps, err := l.adm.DeleteRecords(ctx, trim)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		t.Fatalf("DeleteRecords before %d: %v", last, err)
	}
	offs, err := l.ListOffsets(ctx, tp)
	if err != nil || offs.Start != last {
		t.Fatalf("ListOffsets = %+v, %v; want the start at %d", offs, err, last)
	}
	if _, err := l.Fetch(ctx, tp, 0, logstore.FetchOptions{MaxWait: 10 * time.Millisecond}); !errors.Is(err, logstore.ErrOffsetOutOfRange) {
		t.Errorf("Fetch below the log start = %v, want ErrOffsetOutOfRange", err)
	}
	recs, err := l.Fetch(ctx, tp, offs.Start, logstore.FetchOptions{MaxWait: 10 * time.Millisecond})
	if err != nil || len(recs) != 1 || string(recs[0].Value) != "c" {
		t.Errorf("Fetch at the log start = %v, %v; want c", recs, err)
	}
}
