package capture

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sluicedb/sluice/internal/connect/mongodb/bsonx"
)

// Snapshot reads every document of the captured collections, one
// collection after another in name order, as OpRead events stamped with
// the position the snapshot was taken at.
type Snapshot struct {
	s       *Source
	at      Position
	colls   [][2]string
	i       int
	cur     *mongo.Cursor
	pending *bsonx.Event
}

// Snapshot lists the captured collections. Record the stream's start
// with Current before calling it.
func (s *Source) Snapshot(ctx context.Context, at Position) (*Snapshot, error) {
	dbs, err := s.cl.ListDatabaseNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("mongodb: list databases: %w", err)
	}
	sort.Strings(dbs)
	sn := &Snapshot{s: s, at: at}
	for _, db := range dbs {
		if !s.opts.Filter.Database(db) {
			continue
		}
		names, err := s.cl.Database(db).ListCollectionNames(ctx, bson.D{})
		if err != nil {
			return nil, fmt.Errorf("mongodb: list collections of %s: %w", db, err)
		}
		sort.Strings(names)
		for _, c := range names {
			if s.opts.Filter.Collection(db, c) {
				sn.colls = append(sn.colls, [2]string{db, c})
			}
		}
	}
	return sn, nil
}

// Collections returns the collections the snapshot reads, as db.coll.
func (sn *Snapshot) Collections() []string {
	out := make([]string, len(sn.colls))
	for i, c := range sn.colls {
		out[i] = c[0] + "." + c[1]
	}
	return out
}

// next returns the next document's event, or ok false when every
// collection has been read.
func (sn *Snapshot) next(ctx context.Context) (bsonx.Event, bool, error) {
	for sn.i < len(sn.colls) {
		db, coll := sn.colls[sn.i][0], sn.colls[sn.i][1]
		if sn.cur == nil {
			cur, err := sn.s.cl.Database(db).Collection(coll).Find(ctx, bson.D{}, options.Find().SetBatchSize(int32(sn.s.opts.BatchSize)))
			if err != nil {
				return bsonx.Event{}, false, fmt.Errorf("mongodb: snapshot %s.%s: %w", db, coll, err)
			}
			sn.cur = cur
		}
		if sn.cur.Next(ctx) {
			doc := bytes.Clone(sn.cur.Current)
			t, id, err := bsonx.IDOf(doc)
			if err != nil {
				return bsonx.Event{}, false, fmt.Errorf("mongodb: snapshot %s.%s: %w", db, coll, err)
			}
			return bsonx.Event{Op: bsonx.OpRead, DB: db, Coll: coll, IDType: t, ID: id, Doc: doc, TS: sn.at.TS, Token: sn.at.Token}, true, nil
		}
		err := sn.cur.Err()
		_ = sn.cur.Close(context.WithoutCancel(ctx))
		sn.cur = nil
		if err != nil {
			return bsonx.Event{}, false, fmt.Errorf("mongodb: snapshot %s.%s: %w", db, coll, err)
		}
		sn.i++
	}
	return bsonx.Event{}, false, nil
}

// Next returns up to the batch size of documents; done is true with the
// last batch (whose last event is the snapshot's last document), so the
// caller can mark it as Debezium marks snapshot=last.
func (sn *Snapshot) Next(ctx context.Context) (evs []bsonx.Event, done bool, err error) {
	if sn.pending != nil {
		evs = append(evs, *sn.pending)
		sn.pending = nil
	}
	for len(evs) < sn.s.opts.BatchSize {
		ev, ok, err := sn.next(ctx)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			return evs, true, nil
		}
		evs = append(evs, ev)
	}
	ev, ok, err := sn.next(ctx)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return evs, true, nil
	}
	sn.pending = &ev
	return evs, false, nil
}

// Close releases the open cursor.
func (sn *Snapshot) Close(ctx context.Context) error {
	if sn.cur != nil {
		err := sn.cur.Close(ctx)
		sn.cur = nil
		return err
	}
	return nil
}
