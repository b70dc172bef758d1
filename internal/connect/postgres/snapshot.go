package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/postgres/pgoutput"
)

// snapshot reads the captured tables inside the snapshot the slot exported
// when it was created, so that the rows it reads and the changes the slot
// streams afterwards meet with no gap and no overlap.
type snapshot struct {
	tables     []*table
	next       int // the next table to open
	cur        *table
	rr         *pgconn.ResultReader
	consistent pgoutput.LSN
	started    time.Time
	// peeked holds a row read ahead, to know whether the record before
	// it is the snapshot's last.
	peeked *connect.Record
}

func (tk *task) beginSnapshot(ctx context.Context) error {
	res, err := pglogrepl.CreateReplicationSlot(ctx, tk.repl, tk.cfg.slot, "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{Mode: pglogrepl.LogicalReplication, SnapshotAction: "EXPORT_SNAPSHOT"})
	if err != nil {
		return fmt.Errorf("create replication slot %s: %w", tk.cfg.slot, err)
	}
	lsn, err := pglogrepl.ParseLSN(res.ConsistentPoint)
	if err != nil {
		return fmt.Errorf("slot %s: %w", tk.cfg.slot, err)
	}
	if _, err := tk.conn.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return fmt.Errorf("begin snapshot: %w", err)
	}
	if _, err := tk.conn.Exec(ctx, "SET TRANSACTION SNAPSHOT "+quoteLiteral(res.SnapshotName)); err != nil {
		return fmt.Errorf("use exported snapshot: %w", err)
	}
	names, err := tk.cat.capturedTables(ctx)
	if err != nil {
		return err
	}
	s := &snapshot{consistent: pgoutput.LSN(lsn), started: time.Now()}
	for _, n := range names {
		t, err := tk.cat.table(ctx, n[0], n[1], nil)
		if err != nil {
			return err
		}
		s.tables = append(s.tables, t)
	}
	tk.snap = s
	tk.lastCommit = s.consistent
	tk.log.Info("snapshot started", "tables", len(s.tables), "lsn", s.consistent.String())
	return nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// readRow reads the next snapshot row as a record, opening tables in
// turn; it returns nil when every table is read.
func (tk *task) readRow(ctx context.Context) (*connect.Record, error) {
	s := tk.snap
	if s.peeked != nil {
		r := s.peeked
		s.peeked = nil
		return r, nil
	}
	for {
		if s.rr == nil {
			if s.next >= len(s.tables) {
				return nil, nil
			}
			s.cur = s.tables[s.next]
			s.next++
			cols := make([]string, len(s.cur.cols))
			for i, c := range s.cur.cols {
				cols[i] = pgx.Identifier{c.name}.Sanitize()
			}
			q := "SELECT " + strings.Join(cols, ", ") + " FROM " + pgx.Identifier{s.cur.schema, s.cur.name}.Sanitize()
			// Text results: the same parsers serve snapshot and stream.
			s.rr = tk.conn.PgConn().ExecParams(ctx, q, nil, nil, nil, nil)
		}
		if !s.rr.NextRow() {
			if _, err := s.rr.Close(); err != nil {
				s.rr = nil
				return nil, fmt.Errorf("snapshot %s.%s: %w", s.cur.schema, s.cur.name, err)
			}
			s.rr = nil
			continue
		}
		vals := s.rr.Values()
		tuple := make([]pgoutput.TupleColumn, len(vals))
		for i, v := range vals {
			if v == nil {
				tuple[i].Kind = pgoutput.KindNull
			} else {
				tuple[i] = pgoutput.TupleColumn{Kind: pgoutput.KindText, Data: v}
			}
		}
		row, err := tk.row(s.cur, tuple, nil)
		if err != nil {
			return nil, err
		}
		pos := position{lastCommit: s.consistent, lsn: s.consistent, commitTime: s.started, snapshot: "true"}
		recs := tk.change(s.cur, "r", nil, row, pos, nil)
		return tk.withOffset(recs)[0], nil
	}
}

// pollSnapshot returns the next snapshot batch; after the last one it
// ends the snapshot transaction and starts streaming from the slot's
// consistent point.
func (tk *task) pollSnapshot(ctx context.Context) ([]*connect.Record, error) {
	s := tk.snap
	var out []*connect.Record
	for len(out) < tk.cfg.fetchSize {
		r, err := tk.readRow(ctx)
		if err != nil {
			return nil, err
		}
		if r == nil {
			break
		}
		out = append(out, r)
	}
	if len(out) == tk.cfg.fetchSize {
		// Peek one row to learn whether this batch ends the snapshot.
		r, err := tk.readRow(ctx)
		if err != nil {
			return nil, err
		}
		if r != nil {
			s.peeked = r
			return out, nil
		}
	}
	if len(out) > 0 {
		last := out[len(out)-1]
		env := last.Value.(*connect.Struct)
		env.Values[2].(*connect.Struct).Put("snapshot", "last")
		last.SourceOffset["last_snapshot_record"] = true
	}
	if _, err := tk.conn.Exec(ctx, "COMMIT"); err != nil {
		return nil, fmt.Errorf("end snapshot: %w", err)
	}
	tk.snap = nil
	tk.log.Info("snapshot completed", "lsn", s.consistent.String())
	if tk.cfg.snapshotMode == "initial_only" {
		tk.idle = true
		return out, nil
	}
	if err := tk.startStreaming(ctx, s.consistent); err != nil {
		return nil, err
	}
	return out, nil
}
