package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/postgres/pgoutput"
)

// task is the connector's single source task. Its methods run on the
// runtime's task goroutine; the only other goroutine is the replication
// reader, which owns reading from repl and talks to the task through
// events.
type task struct {
	cfg       *config
	log       *slog.Logger
	partition map[string]any

	conn *pgx.Conn      // catalog and snapshot session
	repl *pgconn.PgConn // walsender session
	cat  *catalog

	snap *snapshot // non-nil while the initial snapshot runs
	idle bool      // snapshot.mode=initial_only after the snapshot

	// Streaming state.
	rels       map[uint32]*table
	events     chan event
	readerStop context.CancelFunc
	readerWG   sync.WaitGroup
	streaming  bool
	startLSN   pgoutput.LSN
	lastCommit pgoutput.LSN // end of the last transaction fully read
	inTxn      bool
	skipTxn    bool
	cur        position
	skip       int // changes of the resumed transaction already in the log
	resumeXid  uint32
	resumeN    int

	// Confirmation: Poll records how far the batch it returns reaches,
	// and Commit confirms that position to the slot.
	returned   pgoutput.LSN
	inflight   bool
	confirmed  pgoutput.LSN
	lastStatus time.Time
	walEnd     atomic.Uint64
	confirmedA atomic.Uint64

	lastHeartbeat time.Time
	lastPos       position // of the last change emitted

	// prefixV and dbnameV are the config's, already in interfaces (see
	// table.schemaV).
	prefixV, dbnameV any
}

func newTask(cfg *config, env connect.Env) *task {
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &task{cfg: cfg, log: log, partition: map[string]any{"server": cfg.prefix}, rels: map[uint32]*table{},
		prefixV: cfg.prefix, dbnameV: cfg.dbname}
}

// Lag reports the bytes of WAL the server has and the slot has not
// confirmed.
func (tk *task) Lag() int64 {
	end, conf := tk.walEnd.Load(), tk.confirmedA.Load()
	if end > conf && conf > 0 {
		return int64(end - conf)
	}
	return 0
}

func (tk *task) connect(ctx context.Context) error {
	pc, err := pgx.ParseConfig(tk.cfg.dsn())
	if err != nil {
		return &connect.ConfigError{Key: "database.hostname", Msg: err.Error()}
	}
	for k, v := range sessionParams {
		pc.RuntimeParams[k] = v
	}
	if tk.conn, err = pgx.ConnectConfig(ctx, pc); err != nil {
		return fmt.Errorf("connect to %s:%d/%s: %w", tk.cfg.host, tk.cfg.port, tk.cfg.dbname, err)
	}
	rc, err := pgconn.ParseConfig(tk.cfg.dsn())
	if err != nil {
		return &connect.ConfigError{Key: "database.hostname", Msg: err.Error()}
	}
	for k, v := range sessionParams {
		rc.RuntimeParams[k] = v
	}
	rc.RuntimeParams["replication"] = "database"
	if tk.repl, err = pgconn.ConnectConfig(ctx, rc); err != nil {
		return fmt.Errorf("open replication session to %s:%d/%s: %w", tk.cfg.host, tk.cfg.port, tk.cfg.dbname, err)
	}
	tk.cat = newCatalog(tk.cfg, tk.conn)
	return nil
}

// resumePoint is what a stored offset says about where to go on.
type resumePoint struct {
	found        bool
	snapshotDone bool
	lastCommit   pgoutput.LSN
	xid          uint32
	events       int
}

func readOffset(off map[string]any) resumePoint {
	if off == nil {
		return resumePoint{}
	}
	num := func(k string) int64 {
		switch v := off[k].(type) {
		case float64:
			return int64(v)
		case int64:
			return v
		case int:
			return int64(v)
		}
		return 0
	}
	rp := resumePoint{found: true, lastCommit: pgoutput.LSN(num("lsn_commit")), xid: uint32(num("txId")), events: int(num("events"))}
	snap, _ := off["snapshot"].(bool)
	last, _ := off["last_snapshot_record"].(bool)
	rp.snapshotDone = !snap || last
	if snap {
		rp.xid, rp.events = 0, 0
	}
	return rp
}

// Start sets up the publication and slot, and either opens the initial
// snapshot or starts streaming from the stored offset.
func (tk *task) Start(ctx context.Context, sc connect.SourceContext) error {
	if l := sc.Logger(); l != nil {
		tk.log = l
	}
	off, err := sc.Offset(ctx, tk.partition)
	if err != nil {
		return fmt.Errorf("read offset: %w", err)
	}
	rp := readOffset(off)
	if err := tk.connect(ctx); err != nil {
		return err
	}
	if err := tk.ensurePublication(ctx); err != nil {
		return err
	}
	slotLSN, slotExists, err := tk.slotState(ctx)
	if err != nil {
		return err
	}
	mode := tk.cfg.snapshotMode
	needSnapshot := false
	switch mode {
	case "always":
		needSnapshot = true
	case "initial", "initial_only":
		needSnapshot = !rp.snapshotDone
	}
	if mode == "initial_only" && rp.snapshotDone {
		tk.idle = true
		return nil
	}
	if needSnapshot {
		if slotExists {
			// A snapshot must start exactly where the slot does, which
			// only a new slot guarantees; an interrupted snapshot starts
			// over, as Debezium's does.
			if err := tk.dropSlot(ctx); err != nil {
				return err
			}
		}
		return tk.beginSnapshot(ctx)
	}
	if !slotExists {
		if rp.found {
			tk.log.Warn("replication slot is missing; recreating it, changes made while it was gone are lost", "slot", tk.cfg.slot)
		}
		res, err := pglogrepl.CreateReplicationSlot(ctx, tk.repl, tk.cfg.slot, "pgoutput",
			pglogrepl.CreateReplicationSlotOptions{Mode: pglogrepl.LogicalReplication, SnapshotAction: "NOEXPORT_SNAPSHOT"})
		if err != nil {
			return fmt.Errorf("create replication slot %s: %w", tk.cfg.slot, err)
		}
		lsn, _ := pglogrepl.ParseLSN(res.ConsistentPoint)
		slotLSN = pgoutput.LSN(lsn)
	}
	start := rp.lastCommit
	if start < slotLSN {
		start = slotLSN
	}
	tk.resumeXid, tk.resumeN = rp.xid, rp.events
	return tk.startStreaming(ctx, start)
}

func (tk *task) ensurePublication(ctx context.Context) error {
	var all bool
	err := tk.conn.QueryRow(ctx, `SELECT puballtables FROM pg_publication WHERE pubname = $1`, tk.cfg.publication).Scan(&all)
	exists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("look up publication %s: %w", tk.cfg.publication, err)
	}
	pub := pgx.Identifier{tk.cfg.publication}.Sanitize()
	switch tk.cfg.pubMode {
	case "disabled":
		if !exists {
			return fmt.Errorf("publication %s does not exist and publication.autocreate.mode is disabled", tk.cfg.publication)
		}
	case "all_tables":
		if !exists {
			if _, err := tk.conn.Exec(ctx, "CREATE PUBLICATION "+pub+" FOR ALL TABLES"); err != nil {
				return fmt.Errorf("create publication %s: %w", tk.cfg.publication, err)
			}
		}
	case "no_tables":
		if !exists {
			if _, err := tk.conn.Exec(ctx, "CREATE PUBLICATION "+pub); err != nil {
				return fmt.Errorf("create publication %s: %w", tk.cfg.publication, err)
			}
		}
	case "filtered":
		tables, err := tk.cat.capturedTables(ctx)
		if err != nil {
			return err
		}
		if len(tables) == 0 {
			return fmt.Errorf("publication.autocreate.mode=filtered: no table matches the include and exclude lists")
		}
		list := ""
		for i, t := range tables {
			if i > 0 {
				list += ", "
			}
			list += pgx.Identifier{t[0], t[1]}.Sanitize()
		}
		stmt := "CREATE PUBLICATION " + pub + " FOR TABLE " + list
		if exists {
			if all {
				return fmt.Errorf("publication %s publishes all tables; publication.autocreate.mode=filtered cannot narrow it", tk.cfg.publication)
			}
			stmt = "ALTER PUBLICATION " + pub + " SET TABLE " + list
		}
		if _, err := tk.conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("publication %s: %w", tk.cfg.publication, err)
		}
	}
	return nil
}

func (tk *task) slotState(ctx context.Context) (pgoutput.LSN, bool, error) {
	var lsn *string
	var db, plugin string
	var active bool
	err := tk.conn.QueryRow(ctx, `SELECT confirmed_flush_lsn::text, coalesce(database, ''), coalesce(plugin, ''), active FROM pg_replication_slots WHERE slot_name = $1`, tk.cfg.slot).Scan(&lsn, &db, &plugin, &active)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look up replication slot %s: %w", tk.cfg.slot, err)
	}
	if db != tk.cfg.dbname {
		return 0, false, fmt.Errorf("replication slot %s belongs to database %q, not %q; set slot.name", tk.cfg.slot, db, tk.cfg.dbname)
	}
	if plugin != "pgoutput" {
		return 0, false, fmt.Errorf("replication slot %s uses plugin %s; Sluice needs a pgoutput slot", tk.cfg.slot, plugin)
	}
	if active {
		return 0, false, fmt.Errorf("replication slot %s is in use by another process", tk.cfg.slot)
	}
	var out pgoutput.LSN
	if lsn != nil {
		l, err := pglogrepl.ParseLSN(*lsn)
		if err != nil {
			return 0, false, fmt.Errorf("slot %s: %w", tk.cfg.slot, err)
		}
		out = pgoutput.LSN(l)
	}
	return out, true, nil
}

func (tk *task) dropSlot(ctx context.Context) error {
	if _, err := tk.conn.Exec(ctx, `SELECT pg_drop_replication_slot($1)`, tk.cfg.slot); err != nil {
		return fmt.Errorf("drop replication slot %s: %w", tk.cfg.slot, err)
	}
	return nil
}

// Poll returns the next batch: snapshot rows first, then changes.
func (tk *task) Poll(ctx context.Context) ([]*connect.Record, error) {
	if tk.idle {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if tk.snap != nil {
		recs, err := tk.pollSnapshot(ctx)
		if err != nil || len(recs) > 0 || tk.snap != nil {
			return recs, err
		}
		if tk.idle {
			return nil, nil
		}
	}
	return tk.pollStream(ctx)
}

// Commit confirms to the slot the WAL position the returned batches reach:
// they are durable in the log now.
func (tk *task) Commit(ctx context.Context) error {
	tk.inflight = false
	if !tk.streaming || tk.returned <= tk.confirmed {
		return nil
	}
	tk.confirmed = tk.returned
	tk.confirmedA.Store(uint64(tk.confirmed))
	return tk.sendStatus(false)
}

func (tk *task) sendStatus(reply bool) error {
	tk.lastStatus = time.Now()
	pos := pglogrepl.LSN(tk.confirmed)
	err := pglogrepl.SendStandbyStatusUpdate(context.Background(), tk.repl, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: pos, WALFlushPosition: pos, WALApplyPosition: pos, ReplyRequested: reply,
	})
	if err != nil {
		return fmt.Errorf("confirm LSN %s: %w", tk.confirmed, err)
	}
	return nil
}

// Stop ends the reader and closes the sessions.
func (tk *task) Stop() error {
	if tk.readerStop != nil {
		tk.readerStop()
		// The reader receives without a context (see read); a deadline
		// in the past ends its receive, as pgconn's own cancellation
		// would. The session is closed below anyway.
		if tk.repl != nil {
			_ = tk.repl.Conn().SetDeadline(time.Now())
		}
	}
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The reader's context is cancelled and its receive interrupted
	// above; the session is closed only once the reader is gone, as a
	// PgConn is not safe for concurrent use.
	tk.readerWG.Wait()
	if tk.repl != nil {
		if err := tk.repl.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if tk.conn != nil {
		if tk.snap != nil && tk.snap.rr != nil {
			tk.snap.rr.Close()
		}
		if tk.cfg.dropSlotOnStop {
			if _, err := tk.conn.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, tk.cfg.slot); err != nil {
				errs = append(errs, err)
			}
		}
		if err := tk.conn.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
