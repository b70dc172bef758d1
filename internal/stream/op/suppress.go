package op

import (
	"encoding/binary"
	"errors"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// EMIT FINAL keeps, in the Suppress store, every window result not yet
// emitted, keyed end ‖ group key ‖ start so a scan meets them in closing
// order. The empty key holds the emitter's progress (finalMeta).
//
// ksqlDB plans EMIT FINAL on time windows as Kafka Streams'
// EmitStrategy.onWindowClose(), which is not a suppression buffer: after
// each record it range-fetches, from the window store, the windows whose
// start lies between the previous emit's bound and (close time - size),
// and the fetch skips windows the store considers expired (start below its
// largest start put minus retention). Windows that close together with a
// later one but fall outside that range are therefore never emitted; the
// scan below reproduces that, dropping them. Session windows keep the
// suppression semantics: a session is emitted once its end plus grace is
// at or before stream time.

// finalMeta is the progress of EMIT FINAL on time windows.
type finalMeta struct {
	loaded bool
	// emitted reports that an emit has happened; lastClose is the close
	// time (stream time - grace) it ran at.
	emitted   bool
	lastClose int64
	// started reports that a window was written; maxStart is the largest
	// window start written, the window store's notion of stream time.
	started  bool
	maxStart int64
}

var finalMetaKey = []byte{}

func (a *Aggregate) loadFinal() error {
	if a.meta.loaded {
		return nil
	}
	a.meta.loaded = true
	b, err := a.Suppress.Get(finalMetaKey)
	if errors.Is(err, state.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(b) < 1 {
		return errors.New("corrupt EMIT FINAL progress")
	}
	flags := b[0]
	rest := b[1:]
	vals := make([]int64, 3)
	for i := range vals {
		v, n := binary.Varint(rest)
		if n <= 0 {
			return errors.New("corrupt EMIT FINAL progress")
		}
		vals[i], rest = v, rest[n:]
	}
	a.meta.emitted, a.meta.started = flags&1 != 0, flags&2 != 0
	a.meta.lastClose, a.meta.maxStart = vals[0], vals[1]
	a.streamTime = max(a.streamTime, vals[2])
	return nil
}

func (a *Aggregate) saveFinal() error {
	var flags byte
	if a.meta.emitted {
		flags |= 1
	}
	if a.meta.started {
		flags |= 2
	}
	b := []byte{flags}
	b = binary.AppendVarint(b, a.meta.lastClose)
	b = binary.AppendVarint(b, a.meta.maxStart)
	b = binary.AppendVarint(b, a.streamTime)
	return a.Suppress.Put(finalMetaKey, b)
}

// noteStart records that the window starting at start was written.
func (a *Aggregate) noteStart(start int64) error {
	if !a.Final {
		return nil
	}
	if err := a.loadFinal(); err != nil {
		return err
	}
	if a.meta.started && start <= a.meta.maxStart {
		return nil
	}
	a.meta.started, a.meta.maxStart = true, start
	return a.saveFinal()
}

// forward sends a result downstream, or, under EMIT FINAL, buffers it in
// the suppression store until its window closes.
func (a *Aggregate) forward(tc *stream.TaskContext, row *value.Row) error {
	if !a.Final || row.Window == nil {
		return a.Next.Process(tc, row)
	}
	k := binary.BigEndian.AppendUint64(nil, uint64(row.Window.End)^(1<<63))
	k = append(k, a.keyBuf...)
	k = binary.BigEndian.AppendUint64(k, uint64(row.Window.Start)^(1<<63))
	if row.Val == nil {
		return a.Suppress.Delete(k)
	}
	v := value.AppendValues(nil, row.Key)
	v = value.AppendValues(v, row.Val)
	v = binary.AppendVarint(v, row.Time)
	v = binary.AppendVarint(v, row.Window.Start)
	v = binary.AppendVarint(v, row.Window.End)
	return a.Suppress.Put(k, v)
}

// flushClosed emits the buffered results that EMIT FINAL releases after a
// record: closed sessions, or the time windows onWindowClose fetches.
func (a *Aggregate) flushClosed(tc *stream.TaskContext) error {
	if !a.Final {
		return nil
	}
	if a.Window.Type == catalog.Session {
		limit := a.streamTime - a.Window.Grace
		return a.release(tc, func(start, end int64) (bool, bool) {
			return end <= limit, end <= limit
		})
	}
	if err := a.loadFinal(); err != nil {
		return err
	}
	closeTime := a.streamTime - a.Window.Grace
	if a.meta.emitted && a.meta.lastClose >= closeTime {
		return nil
	}
	upper := closeTime - a.Window.Size
	if upper < 0 {
		return nil
	}
	lower := int64(0)
	if a.meta.emitted {
		lower = max(0, a.meta.lastClose-a.Window.Size) + 1
	}
	if a.meta.started {
		// The window store hides windows older than its retention.
		lower = max(lower, a.meta.maxStart-a.retention())
	}
	if err := a.release(tc, func(start, _ int64) (bool, bool) {
		if start > upper {
			return false, false
		}
		// Below lower: never to be fetched, so never emitted.
		return start >= lower, true
	}); err != nil {
		return err
	}
	a.meta.emitted, a.meta.lastClose = true, closeTime
	return a.saveFinal()
}

// retention is the window store's: RETENTION, or size plus grace.
func (a *Aggregate) retention() int64 {
	if a.Window.Retention > 0 {
		return a.Window.Retention
	}
	return a.Window.Size + a.Window.Grace
}

// release scans the buffer in window-end order. pick says, per window,
// whether to emit it and whether it is done (removed from the buffer); the
// scan stops at the first window that is not done.
func (a *Aggregate) release(tc *stream.TaskContext, pick func(start, end int64) (emit, done bool)) error {
	it, err := a.Suppress.NewIter(state.IterOptions{})
	if err != nil {
		return err
	}
	var gone [][]byte
	var rows []value.Row
	for it.Next() {
		k := it.Key()
		if len(k) < 16 {
			continue // progress, not a window
		}
		end := int64(binary.BigEndian.Uint64(k) ^ (1 << 63))
		start := int64(binary.BigEndian.Uint64(k[len(k)-8:]) ^ (1 << 63))
		emit, done := pick(start, end)
		if !done {
			break
		}
		gone = append(gone, append([]byte(nil), k...))
		if !emit {
			continue
		}
		row, err := decodeBuffered(it.Value())
		if err != nil {
			it.Close()
			return err
		}
		rows = append(rows, row)
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, k := range gone {
		if err := a.Suppress.Delete(k); err != nil {
			return err
		}
	}
	for i := range rows {
		if err := a.Next.Process(tc, &rows[i]); err != nil {
			return err
		}
	}
	return nil
}

func decodeBuffered(b []byte) (value.Row, error) {
	key, rest, err := value.DecodeValues(b, nil)
	if err != nil {
		return value.Row{}, err
	}
	val, rest, err := value.DecodeValues(rest, nil)
	if err != nil {
		return value.Row{}, err
	}
	ts, n := binary.Varint(rest)
	if n <= 0 {
		return value.Row{}, errors.New("corrupt suppressed result")
	}
	rest = rest[n:]
	ws, n := binary.Varint(rest)
	if n <= 0 {
		return value.Row{}, errors.New("corrupt suppressed result")
	}
	rest = rest[n:]
	we, n := binary.Varint(rest)
	if n <= 0 {
		return value.Row{}, errors.New("corrupt suppressed result")
	}
	return value.Row{Key: key, Val: val, Time: ts, Window: &value.Window{Start: ws, End: we}}, nil
}
