package elasticsearch_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// TestCrashReplay stops a task abruptly mid-stream, with batches in flight
// and records put since its last flush, as a SIGKILL of Sluice would
// leave it; a new task resumes from the last committed offset, as the
// runtime does after a restart. The index ends with exactly the last
// version of every key: replayed writes are idempotent by _id and version.
func TestCrashReplay(t *testing.T) {
	url := testsvc.Search(t)
	tp := topic(t, url)
	raw := map[string]string{
		"connection.url": url, "topics": tp,
		"behavior.on.null.values": "delete", "batch.size": "500",
	}
	const n, keys, crashAt = 100_000, 30_000, 64_321
	rec := func(i int) *connect.Record {
		k := i % keys
		r := syntheticShipped(k).record(tp, int64(i))
		if k%7 == 0 && i >= keys {
			r.Value, r.ValueSchema = nil, nil
		} else {
			r.Value.(*connect.Struct).Values[0] = strconv.Itoa(i)
		}
		return r
	}
	ctx := context.Background()
	// run puts records [from, to) and flushes every 10,000, returning the
	// next offset to consume after the last successful flush (the
	// committed position).
	run := func(task connect.SinkTask, from, to int, flushAtEnd bool) int {
		committed := from
		var batch []*connect.Record
		for i := from; i < to; i++ {
			batch = append(batch, rec(i))
			if len(batch) == 1000 || i == to-1 {
				if err := task.Put(ctx, batch); err != nil {
					t.Fatal(err)
				}
				batch = nil
			}
			if (i+1)%10_000 == 0 || (flushAtEnd && i == to-1) {
				if err := task.Flush(ctx); err != nil {
					t.Fatal(err)
				}
				committed = i + 1
			}
		}
		return committed
	}
	first, _ := startTask(t, raw)
	committed := run(first, 0, crashAt, false)
	first.Stop() // no flush: what was in flight is abandoned
	if committed != 60_000 {
		t.Fatalf("committed %d, want 60000", committed)
	}
	second, _ := startTask(t, raw)
	run(second, committed, n, true)

	want := map[string]string{}
	for i := range n {
		r := rec(i)
		key := strconv.Itoa(i % keys)
		if r.Value == nil {
			delete(want, key)
		} else {
			want[key] = strconv.Itoa(i)
		}
	}
	checkShipments(t, url, tp, keys, want)
}
