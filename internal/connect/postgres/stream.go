package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/postgres/pgoutput"
)

// event is what the replication reader hands the task: a decoded
// message, a keepalive, or the error that ended the stream.
type event struct {
	walStart  pgoutput.LSN
	msg       pgoutput.Message
	keepalive bool
	walEnd    pgoutput.LSN
	reply     bool
	err       error
}

// startStreaming issues START_REPLICATION and starts the reader.
func (tk *task) startStreaming(ctx context.Context, from pgoutput.LSN) error {
	args := []string{"proto_version '1'", "publication_names " + quoteLiteral(tk.cfg.publication)}
	if err := pglogrepl.StartReplication(ctx, tk.repl, tk.cfg.slot, pglogrepl.LSN(from),
		pglogrepl.StartReplicationOptions{Mode: pglogrepl.LogicalReplication, PluginArgs: args}); err != nil {
		return fmt.Errorf("start replication from %s: %w", from, err)
	}
	tk.streaming = true
	tk.startLSN = from
	if tk.lastCommit < from {
		tk.lastCommit = from
	}
	tk.returned, tk.confirmed = from, from
	tk.confirmedA.Store(uint64(from))
	tk.lastStatus = time.Now()
	tk.lastHeartbeat = time.Now()
	tk.events = make(chan event, tk.cfg.queueSize)
	rctx, cancel := context.WithCancel(context.Background())
	tk.readerStop = cancel
	tk.readerWG.Add(1)
	go func() {
		defer tk.readerWG.Done()
		tk.read(rctx)
	}()
	tk.log.Info("streaming started", "slot", tk.cfg.slot, "lsn", from.String())
	return nil
}

// read is the replication reader: it receives and decodes messages until
// ctx ends or the session fails, and reports the failure as a last event.
func (tk *task) read(ctx context.Context) {
	send := func(ev event) bool {
		select {
		case tk.events <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		// The receive has no context: pgconn arms a cancellation hook
		// per call for a cancellable one, which cost about 8% of the
		// capture's CPU. Stop interrupts it with a deadline instead.
		msg, err := tk.repl.ReceiveMessage(context.Background())
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			send(event{err: fmt.Errorf("replication stream: %w", err)})
			return
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if len(m.Data) == 0 {
				continue
			}
			switch m.Data[0] {
			case pglogrepl.PrimaryKeepaliveMessageByteID:
				ka, err := pglogrepl.ParsePrimaryKeepaliveMessage(m.Data[1:])
				if err != nil {
					send(event{err: fmt.Errorf("keepalive: %w", err)})
					return
				}
				if !send(event{keepalive: true, walEnd: pgoutput.LSN(ka.ServerWALEnd), reply: ka.ReplyRequested}) {
					return
				}
			case pglogrepl.XLogDataByteID:
				xld, err := pglogrepl.ParseXLogData(m.Data[1:])
				if err != nil {
					send(event{err: fmt.Errorf("xlog data: %w", err)})
					return
				}
				// The receive buffer is reused; decoded tuples alias
				// their input, so they get their own copy.
				data := append([]byte(nil), xld.WALData...)
				pm, err := pgoutput.Parse(data)
				if err != nil {
					send(event{err: fmt.Errorf("at %s: %w", pgoutput.LSN(xld.WALStart), err)})
					return
				}
				if !send(event{walStart: pgoutput.LSN(xld.WALStart), msg: pm, walEnd: pgoutput.LSN(xld.ServerWALEnd)}) {
					return
				}
			}
		case *pgproto3.ErrorResponse:
			send(event{err: fmt.Errorf("replication stream: %s (SQLSTATE %s)", m.Message, m.Code)})
			return
		case *pgproto3.CopyDone:
			send(event{err: fmt.Errorf("replication stream ended by the server")})
			return
		}
	}
}

// pollStream gathers changes into a batch. It returns at a transaction
// boundary once nothing more is immediately available, when the batch is
// full (even inside a large transaction), or after poll.interval.ms.
func (tk *task) pollStream(ctx context.Context) ([]*connect.Record, error) {
	var out []*connect.Record
	timer := time.NewTimer(tk.cfg.pollInterval)
	defer timer.Stop()
	for {
		if len(out) >= tk.cfg.maxBatch || (len(out) > 0 && !tk.inTxn && len(tk.events) == 0) {
			return tk.finish(out), nil
		}
		if err := tk.maintain(); err != nil {
			return nil, err
		}
		var ev event
		select {
		case ev = <-tk.events:
		case <-timer.C:
			if len(out) > 0 {
				return tk.finish(out), nil
			}
			return tk.heartbeat(nil), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if ev.err != nil {
			return nil, ev.err
		}
		if ev.walEnd > 0 {
			tk.walEnd.Store(uint64(ev.walEnd))
		}
		if ev.keepalive {
			if !tk.inTxn && len(out) == 0 && !tk.inflight && ev.walEnd > tk.lastCommit {
				// Everything before the server's position has been read
				// and none of it is waiting for the log.
				tk.lastCommit = ev.walEnd
				tk.returned = ev.walEnd
				tk.confirmed = ev.walEnd
				tk.confirmedA.Store(uint64(ev.walEnd))
			}
			if ev.reply {
				if err := tk.sendStatus(false); err != nil {
					return nil, err
				}
			}
			continue
		}
		var err error
		if out, err = tk.handle(ctx, ev, out); err != nil {
			return nil, err
		}
	}
}

// finish notes how far a returned batch reaches, for Commit.
func (tk *task) finish(out []*connect.Record) []*connect.Record {
	out = tk.heartbeat(tk.withOffset(out))
	if len(out) > 0 {
		tk.returned = tk.lastCommit
		tk.inflight = true
	}
	return out
}

// maintain sends the periodic status update PostgreSQL expects of a
// standby (wal_sender_timeout ends silent ones).
func (tk *task) maintain() error {
	if time.Since(tk.lastStatus) >= tk.cfg.statusInterval {
		return tk.sendStatus(false)
	}
	return nil
}

// heartbeat adds a heartbeat record when heartbeat.interval.ms has passed,
// carrying the current offset so that it advances even when no captured
// table changes.
func (tk *task) heartbeat(out []*connect.Record) []*connect.Record {
	if tk.cfg.heartbeat <= 0 || tk.inTxn || time.Since(tk.lastHeartbeat) < tk.cfg.heartbeat {
		return out
	}
	tk.lastHeartbeat = time.Now()
	ks := connect.NewStructSchema("io.debezium.connector.common.ServerNameKey").Field("serverName", connect.StringSchema).Build()
	vs := connect.NewStructSchema("io.debezium.connector.common.Heartbeat").Field("ts_ms", connect.Int64Schema).Build()
	k := connect.NewStruct(ks)
	k.Values[0] = tk.cfg.prefix
	v := connect.NewStruct(vs)
	v.Values[0] = time.Now().UnixMilli()
	pos := position{lastCommit: tk.lastCommit, lsn: tk.lastCommit, commitTime: time.Now(), snapshot: "false"}
	r := &connect.Record{Topic: tk.cfg.heartbeatTopic, Partition: -1, KeySchema: ks, Key: k, ValueSchema: vs, Value: v,
		SourcePartition: tk.partition, SourceOffset: tk.offset(pos)}
	out = append(out, r)
	if !tk.inflight || len(out) == 1 {
		tk.returned = tk.lastCommit
		tk.inflight = true
	}
	return out
}

// handle applies one replication message.
func (tk *task) handle(ctx context.Context, ev event, out []*connect.Record) ([]*connect.Record, error) {
	switch m := ev.msg.(type) {
	case *pgoutput.Begin:
		tk.inTxn = true
		tk.cur = position{lastCommit: tk.lastCommit, lsn: m.FinalLSN, xid: m.Xid, commitTime: m.CommitTime, snapshot: "false"}
		// A transaction that committed before the resume point is
		// already in the log.
		tk.skipTxn = m.FinalLSN < tk.lastCommit
		tk.skip = 0
		if m.Xid == tk.resumeXid {
			tk.skip = tk.resumeN
		}
		tk.resumeXid, tk.resumeN = 0, 0
	case *pgoutput.Commit:
		tk.inTxn = false
		if m.EndLSN > tk.lastCommit {
			tk.lastCommit = m.EndLSN
		}
	case *pgoutput.Relation:
		if !tk.cfg.captured(m.Namespace, m.Name) {
			tk.rels[m.ID] = nil
			return out, nil
		}
		t, err := tk.cat.table(ctx, m.Namespace, m.Name, m)
		if err != nil {
			return nil, err
		}
		if old := tk.rels[m.ID]; old != nil {
			tk.log.Info("table schema changed", "table", m.Namespace+"."+m.Name)
		}
		tk.rels[m.ID] = t
	case *pgoutput.Insert:
		return tk.dml(ev, m.RelationID, func(t *table, pos position, out []*connect.Record) ([]*connect.Record, error) {
			after, err := tk.row(t, m.New, nil)
			if err != nil {
				return nil, err
			}
			return tk.change(t, "c", nil, after, pos, out), nil
		}, out)
	case *pgoutput.Update:
		return tk.dml(ev, m.RelationID, func(t *table, pos position, out []*connect.Record) ([]*connect.Record, error) {
			after, err := tk.row(t, m.New, m.Old)
			if err != nil {
				return nil, err
			}
			var before *connect.Struct
			if m.OldKind != 0 {
				if before, err = tk.row(t, m.Old, nil); err != nil {
					return nil, err
				}
			}
			if m.OldKind == 'K' || (m.OldKind == 'O' && !sameKey(t, before, after)) {
				if m.OldKind == 'K' && sameKey(t, before, after) {
					return tk.change(t, "u", nil, after, pos, out), nil
				}
				// A primary key change is a delete of the old key and a
				// create of the new one, as Debezium emits it.
				out = tk.change(t, "d", before, nil, pos, out)
				return tk.change(t, "c", nil, after, pos, out), nil
			}
			if m.OldKind != 'O' {
				before = nil
			}
			return tk.change(t, "u", before, after, pos, out), nil
		}, out)
	case *pgoutput.Delete:
		return tk.dml(ev, m.RelationID, func(t *table, pos position, out []*connect.Record) ([]*connect.Record, error) {
			before, err := tk.row(t, m.Old, nil)
			if err != nil {
				return nil, err
			}
			return tk.change(t, "d", before, nil, pos, out), nil
		}, out)
	}
	return out, nil
}

// dml counts a change of the current transaction and emits it unless it
// is already in the log.
func (tk *task) dml(ev event, rel uint32, emit func(*table, position, []*connect.Record) ([]*connect.Record, error), out []*connect.Record) ([]*connect.Record, error) {
	t, ok := tk.rels[rel]
	if !ok {
		return nil, fmt.Errorf("change for relation %d before its description", rel)
	}
	if t == nil || tk.skipTxn {
		return out, nil
	}
	tk.cur.events++
	if tk.cur.events <= tk.skip {
		return out, nil
	}
	pos := tk.cur
	pos.lsn = ev.walStart
	return emit(t, pos, out)
}

func sameKey(t *table, a, b *connect.Struct) bool {
	if a == nil || b == nil || t.keySchema == nil {
		return true
	}
	for _, ci := range t.keyCols {
		f := t.cols[ci].field
		if f < 0 {
			continue
		}
		if fmt.Sprint(a.Values[f]) != fmt.Sprint(b.Values[f]) {
			return false
		}
	}
	return true
}
