package mongodb

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/mongodb/bsonx"
	"github.com/sluicedb/sluice/internal/connect/mongodb/capture"
)

// task is the connector's single source task: it takes the snapshot, then
// streams. All its methods run on the runtime's task goroutine; it starts
// no goroutines of its own (the capture readers are pull-based).
type task struct {
	cfg       *config
	log       *slog.Logger
	partition map[string]any
	b         *builder

	cl  *mongo.Client
	src *capture.Source

	snap   *capture.Snapshot // non-nil while the snapshot runs
	snapAt capture.Position
	rd     capture.Reader
	idle   bool // snapshot.mode=initial_only after the snapshot

	// snapSeen holds the documents the snapshot read, until the stream
	// passes snapEnd (the position when the snapshot finished). An insert
	// logged between the snapshot's start and end whose document the
	// snapshot already read is skipped, so documents inserted while the
	// snapshot runs arrive once. It lives in memory only: a restart inside
	// that window may repeat such inserts.
	snapSeen map[string]struct{}
	snapEnd  capture.Position

	lastHeartbeat time.Time
}

func newTask(cfg *config, env connect.Env) *task {
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &task{cfg: cfg, log: log, b: &builder{cfg: cfg, schemas: schemaCache{prefix: cfg.prefix}, now: func() int64 { return time.Now().UnixMilli() }}}
}

// resume is what a stored offset says about where to go on.
type resume struct {
	found        bool
	snapshotDone bool
	pos          capture.Position
}

func readOffset(off map[string]any) (resume, error) {
	if off == nil {
		return resume{}, nil
	}
	num := func(k string) int64 {
		switch v := off[k].(type) {
		case float64:
			return int64(v)
		case int64:
			return v
		case int:
			return int64(v)
		case uint32:
			return int64(v)
		}
		return 0
	}
	r := resume{found: true}
	r.pos.TS = bsonx.Timestamp{T: uint32(num("sec")), I: uint32(num("ord"))}
	r.pos.Ord = int(num("tx_ord"))
	if tok, ok := off["resume_token"].(string); ok && tok != "" {
		b, err := base64.StdEncoding.DecodeString(tok)
		if err != nil {
			return resume{}, fmt.Errorf("mongodb: stored resume token: %w", err)
		}
		r.pos.Token = b
	}
	initsync, _ := off["initsync"].(bool)
	r.snapshotDone = !initsync
	return r, nil
}

func offsetOf(p capture.Position, initsync bool) map[string]any {
	off := map[string]any{"sec": int64(p.TS.T), "ord": int64(p.TS.I), "tx_ord": int64(p.Ord)}
	if p.Token != nil {
		off["resume_token"] = base64.StdEncoding.EncodeToString(p.Token)
	}
	if initsync {
		off["initsync"] = true
	}
	return off
}

// Start connects, then either opens the snapshot or starts streaming from
// the stored offset.
func (tk *task) Start(ctx context.Context, sc connect.SourceContext) error {
	if l := sc.Logger(); l != nil {
		tk.log = l
	}
	cl, err := mongo.Connect(options.Client().ApplyURI(tk.cfg.uri).SetAppName("sluice"))
	if err != nil {
		return &connect.ConfigError{Key: "mongodb.connection.string", Msg: err.Error()}
	}
	tk.cl = cl
	if err := cl.Ping(ctx, nil); err != nil {
		return fmt.Errorf("mongodb: connect: %w", err)
	}
	tk.src, err = capture.Open(ctx, cl, capture.Options{
		Mode:         tk.cfg.mode,
		Filter:       tk.cfg.filter,
		BatchSize:    tk.cfg.maxBatch,
		PollInterval: min(tk.cfg.poll, 100*time.Millisecond),
		Logger:       tk.log,
	})
	if err != nil {
		return err
	}
	tk.b.rs = tk.src.ReplicaSet()
	tk.partition = map[string]any{"server_id": tk.cfg.prefix}
	off, err := sc.Offset(ctx, tk.partition)
	if err != nil {
		return fmt.Errorf("mongodb: read offset: %w", err)
	}
	r, err := readOffset(off)
	if err != nil {
		return err
	}
	need := false
	switch tk.cfg.snapshotMode {
	case "always":
		need = true
	case "initial", "initial_only", "when_needed":
		need = !r.snapshotDone || !r.found
	}
	tk.log.Info("mongodb source starting", "mode", tk.src.Mode(), "ferretdb", tk.src.FerretDB(), "snapshot", need, "resume", r.found)
	if need {
		at, err := tk.src.Current(ctx)
		if err != nil {
			return err
		}
		if tk.snap, err = tk.src.Snapshot(ctx, at); err != nil {
			return err
		}
		tk.snapAt = at
		tk.snapSeen = map[string]struct{}{}
		return nil
	}
	if tk.cfg.snapshotMode == "initial_only" {
		tk.idle = true
		return nil
	}
	pos := r.pos
	if !r.found {
		if pos, err = tk.src.Current(ctx); err != nil {
			return err
		}
	}
	tk.rd, err = tk.src.Stream(ctx, pos)
	return err
}

// Poll returns the next snapshot batch or the next streamed changes.
func (tk *task) Poll(ctx context.Context) ([]*connect.Record, error) {
	if tk.idle {
		t := time.NewTimer(tk.cfg.poll)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
		return nil, nil
	}
	if tk.snap != nil {
		return tk.pollSnapshot(ctx)
	}
	evs, err := tk.rd.Next(ctx, tk.cfg.poll)
	if err != nil {
		return nil, err
	}
	out := make([]*connect.Record, 0, len(evs)+1)
	for i := range evs {
		if tk.snapSeen != nil {
			if !tk.snapEnd.After(evs[i]) {
				if _, dup := tk.snapSeen[seenKey(&evs[i])]; dup && evs[i].Op == bsonx.OpCreate {
					continue
				}
			} else {
				tk.snapSeen = nil
			}
		}
		if out, err = tk.b.records(out, &evs[i], tk.partition, offsetOf(capture.Of(evs[i]), false), ""); err != nil {
			return nil, err
		}
	}
	if len(out) > 0 {
		tk.lastHeartbeat = time.Now()
	} else if hb := tk.heartbeat(); hb != nil {
		out = append(out, hb)
	}
	return out, nil
}

func (tk *task) pollSnapshot(ctx context.Context) ([]*connect.Record, error) {
	evs, done, err := tk.snap.Next(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*connect.Record, 0, len(evs))
	during := offsetOf(tk.snapAt, true)
	for i := range evs {
		off, marker := during, "true"
		if done && i == len(evs)-1 {
			// The last snapshot record's offset says the snapshot is
			// complete, so a restart after it streams instead of
			// snapshotting again.
			off, marker = offsetOf(tk.snapAt, false), "last"
		}
		if out, err = tk.b.records(out, &evs[i], tk.partition, off, marker); err != nil {
			return nil, err
		}
		tk.snapSeen[seenKey(&evs[i])] = struct{}{}
	}
	if done {
		if tk.snapEnd, err = tk.src.Current(ctx); err != nil {
			return nil, err
		}
		tk.log.Info("mongodb snapshot complete", "collections", tk.snap.Collections())
		_ = tk.snap.Close(ctx)
		tk.snap = nil
		if tk.cfg.snapshotMode == "initial_only" {
			tk.idle = true
			return out, nil
		}
		if tk.rd, err = tk.src.Stream(ctx, tk.snapAt); err != nil {
			return out, err
		}
	}
	return out, nil
}

// heartbeat returns a heartbeat record when one is due: it carries the
// reader's position, so a quiet or filtered-out stream still moves the
// stored offset forward.
func (tk *task) heartbeat() *connect.Record {
	if tk.cfg.heartbeat <= 0 || time.Since(tk.lastHeartbeat) < tk.cfg.heartbeat {
		return nil
	}
	tk.lastHeartbeat = time.Now()
	ks, vs := heartbeatKey, heartbeatValue
	k := connect.NewStruct(ks)
	k.Values[0] = tk.cfg.prefix
	v := connect.NewStruct(vs)
	v.Values[0] = time.Now().UnixMilli()
	return &connect.Record{Topic: tk.cfg.heartbeatTopic, Partition: -1, KeySchema: ks, Key: k, ValueSchema: vs, Value: v,
		SourcePartition: tk.partition, SourceOffset: offsetOf(tk.rd.Position(), false)}
}

// Commit has nothing to acknowledge: MongoDB keeps no per-reader state.
func (tk *task) Commit(context.Context) error { return nil }

// Stop closes the readers and the connection.
func (tk *task) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if tk.snap != nil {
		_ = tk.snap.Close(ctx)
	}
	if tk.rd != nil {
		_ = tk.rd.Close(ctx)
	}
	if tk.cl != nil {
		return tk.cl.Disconnect(ctx)
	}
	return nil
}

var (
	heartbeatKey   = connect.NewStructSchema("io.debezium.connector.common.ServerNameKey").Field("serverName", connect.StringSchema).Build()
	heartbeatValue = connect.NewStructSchema("io.debezium.connector.common.Heartbeat").Field("ts_ms", connect.Int64Schema).Build()
)

func seenKey(ev *bsonx.Event) string {
	return ev.DB + "\x00" + ev.Coll + "\x00" + string(rune(ev.IDType)) + string(ev.ID)
}
