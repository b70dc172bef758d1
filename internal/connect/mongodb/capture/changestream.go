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

// changeStreamReader reads a cluster-wide change stream with full
// documents on update (updateLookup) and pre-images where the server keeps
// them.
type changeStreamReader struct {
	s   *Source
	cs  *mongo.ChangeStream
	pos Position
}

func (s *Source) openChangeStream(ctx context.Context, from Position) (*changeStreamReader, error) {
	r := &changeStreamReader{s: s, pos: from}
	build := func(pre bool) *options.ChangeStreamOptionsBuilder {
		o := options.ChangeStream().SetFullDocument(options.UpdateLookup).SetBatchSize(int32(s.opts.BatchSize))
		if pre {
			o.SetFullDocumentBeforeChange(options.WhenAvailable)
		}
		switch {
		case from.Token != nil:
			o.SetResumeAfter(bson.Raw(from.Token))
		case !from.TS.IsZero():
			o.SetStartAtOperationTime(&bson.Timestamp{T: from.TS.T, I: from.TS.I + 1})
		}
		return o
	}
	cs, err := s.cl.Watch(ctx, mongo.Pipeline{}, build(true))
	if err != nil {
		// Servers before 6.0 reject fullDocumentBeforeChange.
		s.opts.Logger.Debug("change stream without pre-images", "err", err)
		cs, err = s.cl.Watch(ctx, mongo.Pipeline{}, build(false))
	}
	if err != nil {
		return nil, fmt.Errorf("mongodb: open change stream: %w", err)
	}
	r.cs = cs
	return r, nil
}

func (r *changeStreamReader) Position() Position { return r.pos }

func (r *changeStreamReader) Close(ctx context.Context) error {
	return r.cs.Close(ctx)
}

func (r *changeStreamReader) Next(ctx context.Context, wait time.Duration) ([]bsonx.Event, error) {
	r.cs.SetBatchSize(int32(r.s.opts.BatchSize))
	deadline := time.Now().Add(wait)
	var evs []bsonx.Event
	for len(evs) < r.s.opts.BatchSize {
		if !r.cs.TryNext(ctx) {
			if err := r.cs.Err(); err != nil {
				return evs, fmt.Errorf("mongodb: change stream: %w", err)
			}
			if len(evs) > 0 || !time.Now().Before(deadline) {
				break
			}
			continue
		}
		raw := bytes.Clone(r.cs.Current)
		ev, ok, err := bsonx.DecodeChange(raw)
		if err != nil {
			return evs, fmt.Errorf("mongodb: decode change event: %w", err)
		}
		r.pos = Position{TS: ev.TS, Token: ev.Token}
		if ok && r.s.opts.Filter.Collection(ev.DB, ev.Coll) {
			evs = append(evs, ev)
		}
		if r.cs.RemainingBatchLength() == 0 {
			break
		}
	}
	if len(evs) == 0 {
		// The post-batch resume token moves past events filtered out, so
		// a quiet stream does not resume from far back.
		if t := r.cs.ResumeToken(); t != nil {
			r.pos.Token = bytes.Clone(t)
		}
	}
	return evs, nil
}

func (r *oplogReader) Close(ctx context.Context) error {
	r.closeCursor(ctx)
	return nil
}
