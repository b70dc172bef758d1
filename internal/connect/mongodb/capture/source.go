package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sluicedb/sluice/internal/connect/mongodb/bsonx"
)

// Options configure a Source. The zero value of each field takes the
// default its doc names.
type Options struct {
	// Mode forces a capture mode; empty picks change streams when the
	// server offers them and the oplog otherwise.
	Mode Mode
	// Filter selects the captured collections; nil captures every
	// non-system collection.
	Filter *Filter
	// BatchSize bounds the events one Next returns (default 2048).
	BatchSize int
	// PollInterval is how long the oplog reader waits between queries
	// when its cursor cannot await new entries (default 100ms).
	PollInterval time.Duration
	// Tailable forbids (false) a tailable await cursor on the oplog; nil
	// or true uses one, except on FerretDB. FerretDB v1.24 on SQLite keeps
	// the local database locked while a tailable cursor is open, so its
	// own oplog writes fail ("database is locked") and changes are lost
	// until it restarts; there the oplog is polled with plain queries
	// that run to the end, whatever this says.
	Tailable *bool
	Logger   *slog.Logger
}

func (o *Options) ensureDefaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 2048
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 100 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Filter == nil {
		o.Filter = &Filter{}
	}
}

// Source reads one MongoDB deployment (a replica set, or a FerretDB
// endpoint that reports itself as one).
type Source struct {
	cl       *mongo.Client
	opts     Options
	mode     Mode
	ferret   bool
	replSet  string
	tailable bool
}

// ErrNoChangeStreams is returned (wrapped) when change streams are asked
// for and the server has none.
var ErrNoChangeStreams = errors.New("server does not support change streams")

// Open inspects the server behind cl and picks the capture mode.
func Open(ctx context.Context, cl *mongo.Client, opts Options) (*Source, error) {
	opts.ensureDefaults()
	s := &Source{cl: cl, opts: opts}
	var hello bson.Raw
	hello, err := cl.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Raw()
	if err != nil {
		return nil, fmt.Errorf("mongodb: hello: %w", err)
	}
	if v, err := hello.LookupErr("setName"); err == nil {
		s.replSet, _ = v.StringValueOK()
	}
	if bi, err := cl.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Raw(); err == nil {
		if _, err := bi.LookupErr("ferretdbVersion"); err == nil {
			s.ferret = true
		}
	}
	s.tailable = !s.ferret && (opts.Tailable == nil || *opts.Tailable)
	switch opts.Mode {
	case ModeOplog:
		s.mode = ModeOplog
	case ModeChangeStream:
		if err := s.probeChangeStream(ctx); err != nil {
			return nil, err
		}
		s.mode = ModeChangeStream
	default:
		if err := s.probeChangeStream(ctx); err != nil {
			opts.Logger.Info("change streams unavailable; tailing the oplog", "err", err)
			s.mode = ModeOplog
		} else {
			s.mode = ModeChangeStream
		}
	}
	return s, nil
}

func (s *Source) probeChangeStream(ctx context.Context) error {
	cs, err := s.cl.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetMaxAwaitTime(10*time.Millisecond))
	if err != nil {
		return fmt.Errorf("mongodb: %w: %w", ErrNoChangeStreams, err)
	}
	return cs.Close(ctx)
}

// Mode is the capture mode Open picked.
func (s *Source) Mode() Mode { return s.mode }

// ReplicaSet is the replica set name the server reports ("" for none).
func (s *Source) ReplicaSet() string { return s.replSet }

// FerretDB reports whether the server is FerretDB.
func (s *Source) FerretDB() bool { return s.ferret }

func (s *Source) oplog() *mongo.Collection { return s.cl.Database("local").Collection("oplog.rs") }

// Current returns the position at the end of the change history now: a
// snapshot taken after it and a stream started from it together miss
// nothing.
func (s *Source) Current(ctx context.Context) (Position, error) {
	if s.mode == ModeChangeStream {
		cs, err := s.cl.Watch(ctx, mongo.Pipeline{}, options.ChangeStream().SetMaxAwaitTime(10*time.Millisecond))
		if err != nil {
			return Position{}, fmt.Errorf("mongodb: open change stream: %w", err)
		}
		defer cs.Close(context.WithoutCancel(ctx))
		cs.TryNext(ctx)
		if err := cs.Err(); err != nil {
			return Position{}, fmt.Errorf("mongodb: change stream: %w", err)
		}
		return Position{Token: append([]byte(nil), cs.ResumeToken()...)}, nil
	}
	raw, err := s.oplog().FindOne(ctx, bson.D{}, options.FindOne().SetSort(bson.D{{Key: "$natural", Value: -1}})).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Position{}, nil
	}
	if err != nil {
		return Position{}, fmt.Errorf("mongodb: read the oplog's last entry: %w", err)
	}
	v, err := raw.LookupErr("ts")
	if err != nil {
		return Position{}, fmt.Errorf("mongodb: oplog entry without ts: %w", err)
	}
	t, i, ok := v.TimestampOK()
	if !ok {
		return Position{}, fmt.Errorf("mongodb: oplog ts of type %v", v.Type)
	}
	// The last entry itself is already reflected in the data, so reading
	// resumes after it (Ord past any applyOps operation).
	return Position{TS: bsonx.Timestamp{T: t, I: i}, Ord: 1 << 30}, nil
}

// Reader reads changes from a position on.
type Reader interface {
	// Next returns the next events in order, waiting up to wait for some
	// to arrive; it may return an empty batch. Returned events own their
	// bytes.
	Next(ctx context.Context, wait time.Duration) ([]bsonx.Event, error)
	// Position is where the reader would resume: past every event Next has
	// returned and every skipped entry before them.
	Position() Position
	Close(ctx context.Context) error
}

// Stream returns a reader of the changes after from.
func (s *Source) Stream(ctx context.Context, from Position) (Reader, error) {
	if s.mode == ModeChangeStream {
		return s.openChangeStream(ctx, from)
	}
	return &oplogReader{s: s, pos: from}, nil
}
