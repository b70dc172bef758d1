package capture

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sluicedb/sluice/internal/connect/mongodb/bsonx"
)

// oplogReader tails local.oplog.rs from a position. It queries ts >= the
// position rather than ts > it: FerretDB keeps a tailable cursor open only
// when its first batch matches an entry, and on MongoDB the one repeated
// entry costs nothing. Entries at or before the position are skipped, so a
// server that returns an entry twice never yields it twice.
type oplogReader struct {
	s   *Source
	pos Position
	cur *mongo.Cursor

	// cost is how long the last query took to answer, and quietUntil
	// when the next may start after a query that found nothing new. A
	// server that scans the whole oplog per query (FerretDB pushes no ts
	// filter down, so a query over 100,000 entries takes seconds) would
	// otherwise be kept busy by an idle reader; waiting as long as the
	// query took leaves it at least half its time for writes.
	cost       time.Duration
	quietUntil time.Time
}

func (r *oplogReader) Position() Position { return r.pos }

func (r *oplogReader) open(ctx context.Context, wait time.Duration) error {
	filter := bson.D{{Key: "ts", Value: bson.D{{Key: "$gte", Value: bson.Timestamp{T: r.pos.TS.T, I: r.pos.TS.I}}}}}
	fo := options.Find().SetSort(bson.D{{Key: "$natural", Value: 1}})
	if r.s.tailable {
		// A batch of one makes the first reply leave the cursor open on
		// FerretDB; later batches are full size.
		fo.SetCursorType(options.TailableAwait).SetBatchSize(1).SetMaxAwaitTime(max(wait, 10*time.Millisecond))
	} else {
		fo.SetBatchSize(int32(r.s.opts.BatchSize))
	}
	cur, err := r.s.oplog().Find(ctx, filter, fo)
	if err != nil {
		return fmt.Errorf("mongodb: query the oplog from %d:%d: %w", r.pos.TS.T, r.pos.TS.I, err)
	}
	if r.s.tailable {
		cur.SetBatchSize(int32(r.s.opts.BatchSize))
	}
	r.cur = cur
	return nil
}

func (r *oplogReader) closeCursor(ctx context.Context) {
	if r.cur != nil {
		_ = r.cur.Close(context.WithoutCancel(ctx))
		r.cur = nil
	}
}

func (r *oplogReader) Next(ctx context.Context, wait time.Duration) ([]bsonx.Event, error) {
	deadline := time.Now().Add(wait)
	var evs []bsonx.Event
	for {
		if r.cur == nil {
			if !r.quietUntil.IsZero() {
				if err := sleep(ctx, min(time.Until(r.quietUntil), time.Until(deadline))); err != nil {
					return nil, err
				}
				if time.Now().Before(r.quietUntil) {
					return evs, nil
				}
				r.quietUntil = time.Time{}
			}
			start := time.Now()
			if err := r.open(ctx, wait); err != nil {
				return nil, err
			}
			r.cost = time.Since(start)
		}
		exhausted := false
		for len(evs) < r.s.opts.BatchSize {
			if !r.cur.TryNext(ctx) {
				exhausted = true
				break
			}
			var err error
			evs, err = r.take(evs, r.cur.Current)
			if err != nil {
				r.closeCursor(ctx)
				return nil, err
			}
			if r.cur.RemainingBatchLength() == 0 && len(evs) > 0 {
				// Return what the server sent rather than wait for the
				// next batch.
				break
			}
		}
		if err := r.cur.Err(); err != nil {
			r.closeCursor(ctx)
			if ctx.Err() != nil {
				return evs, ctx.Err()
			}
			return evs, fmt.Errorf("mongodb: tail the oplog: %w", err)
		}
		if r.cur.ID() == 0 && (exhausted || r.cur.RemainingBatchLength() == 0) {
			r.closeCursor(ctx)
			if len(evs) == 0 {
				r.quietUntil = time.Now().Add(max(r.s.opts.PollInterval, r.cost))
			}
		}
		if len(evs) > 0 || !time.Now().Before(deadline) {
			return evs, nil
		}
	}
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// take decodes one oplog entry, keeping the events after the position that
// belong to captured collections, and advances the position.
func (r *oplogReader) take(evs []bsonx.Event, raw bson.Raw) ([]bsonx.Event, error) {
	entry := bytes.Clone(raw)
	err := bsonx.DecodeOplog(entry, func(ev bsonx.Event) error {
		if !r.pos.After(ev) {
			return nil
		}
		r.pos = Of(ev)
		if r.s.opts.Filter.Collection(ev.DB, ev.Coll) {
			evs = append(evs, ev)
		}
		return nil
	})
	if err != nil {
		return evs, fmt.Errorf("mongodb: decode oplog entry: %w", err)
	}
	// An entry with no data change (a no-op, DDL) still moves the position
	// past it, unless it repeats the position's own entry.
	if ts, ok := entryTS(entry); ok && r.pos.TS.Less(ts) {
		r.pos = Position{TS: ts, Ord: 1 << 30}
	}
	return evs, nil
}

func entryTS(entry []byte) (bsonx.Timestamp, bool) {
	e, ok, err := bsonx.Lookup(entry, "ts")
	if err != nil || !ok {
		return bsonx.Timestamp{}, false
	}
	return e.TimestampValue()
}
