package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/stream/op"
	"github.com/sluicedb/sluice/internal/value"
)

// storedRow is one store entry a pull query read.
type storedRow struct {
	key, val []byte
}

// pullStore answers a pull query on a table from its materialization,
// reading the rows planAccess chooses from a snapshot of the stores and
// running each through the table's decoder and the query's filter and
// projection. ok is false when the table has no materialization here; the
// caller then scans the topic.
func (e *Engine) pullStore(ctx context.Context, id string, root plan.Node, src *catalog.Source, where ast.Expr, limit int64) ([][]value.Value, bool, error) {
	if e.opts.State == nil || e.distributed() {
		return nil, false, nil
	}
	q, ok := e.materialization(src)
	if !ok {
		return nil, false, nil
	}
	info, err := e.opts.Log.DescribeTopic(ctx, src.Topic)
	if err != nil {
		return nil, false, fmt.Errorf("table %s: %w", src.Name, err)
	}
	parts := make([]int32, info.Partitions)
	for i := range parts {
		parts[i] = int32(i)
	}
	rows, err := e.readStore(ctx, q.Spec().Group, src, planAccess(src, where), parts)
	if err != nil {
		return nil, false, err
	}
	out, err := e.decodeRows(ctx, id, root, rows, limit)
	return out, true, err
}

// readStore reads the entries acc selects from the given partitions'
// stores, in store key order.
func (e *Engine) readStore(ctx context.Context, group string, src *catalog.Source, acc pullAccess, parts []int32) ([]storedRow, error) {
	snap, err := e.opts.State.NewSnapshot()
	if err != nil {
		return nil, fmt.Errorf("table %s: snapshot: %w", src.Name, err)
	}
	defer snap.Close()
	readers := map[int32]state.Reader{}
	reader := func(p int32) (state.Reader, error) {
		if r, ok := readers[p]; ok {
			return r, nil
		}
		h, err := e.opts.State.Store(stream.StoreName(group, op.MaterializedStore, p))
		if err != nil {
			return nil, fmt.Errorf("table %s partition %d: %w", src.Name, p, err)
		}
		r := snap.Store(h)
		readers[p] = r
		return r, nil
	}
	var rows []storedRow
	scan := func(p int32, lo, hi []byte) error {
		r, err := reader(p)
		if err != nil {
			return err
		}
		it, err := r.NewIter(state.IterOptions{Start: lo, End: hi})
		if err != nil {
			return fmt.Errorf("table %s partition %d: %w", src.Name, p, err)
		}
		for it.Next() {
			rows = append(rows, storedRow{key: bytes.Clone(it.Key()), val: bytes.Clone(it.Value())})
		}
		if err := it.Close(); err != nil {
			return fmt.Errorf("table %s partition %d: %w", src.Name, p, err)
		}
		return nil
	}
	windowed := src.Window != catalog.NoWindow
	switch acc.kind {
	case accessScan, accessRange:
		for _, p := range parts {
			if err := scan(p, acc.lo, acc.hi); err != nil {
				return nil, err
			}
		}
	case accessLookup:
		for _, k := range acc.keys {
			prefix := op.AppendStoreKey(nil, k, nil)
			if windowed {
				// A windowed key's rows may sit in any partition, as the
				// sink partitions by the key and window together.
				lo := op.AppendWindowTime(bytes.Clone(prefix), acc.winLo)
				hi := prefixEnd(op.AppendWindowTime(bytes.Clone(prefix), acc.winHi))
				for _, p := range parts {
					if err := scan(p, lo, hi); err != nil {
						return nil, err
					}
				}
				continue
			}
			for _, p := range e.probeOrder(ctx, src, k, parts) {
				r, err := reader(p)
				if err != nil {
					return nil, err
				}
				val, err := r.Get(prefix)
				if err == nil {
					rows = append(rows, storedRow{key: prefix, val: val})
					break
				}
				if !isNotFound(err) {
					return nil, fmt.Errorf("table %s partition %d: %w", src.Name, p, err)
				}
			}
		}
	}
	if len(parts) > 1 || acc.kind == accessLookup {
		sort.SliceStable(rows, func(i, j int) bool { return bytes.Compare(rows[i].key, rows[j].key) < 0 })
	}
	return rows, nil
}

// probeOrder lists the partitions to look a key up in: the one the sink's
// partitioner gives first, then, for a topic some other producer wrote
// with another partitioner, the rest of those at hand.
func (e *Engine) probeOrder(ctx context.Context, src *catalog.Source, key []value.Value, parts []int32) []int32 {
	p, ok := e.keyPartition(ctx, src, key)
	if !ok || len(parts) <= 1 {
		return parts
	}
	out := make([]int32, 0, len(parts))
	for _, q := range parts {
		if q == p {
			out = append([]int32{p}, out...)
		} else {
			out = append(out, q)
		}
	}
	return out
}

// keyPartition is the partition the table's sink puts key in: murmur2
// over the key serialized in the table's key format, as Kafka's default
// partitioner does.
func (e *Engine) keyPartition(ctx context.Context, src *catalog.Source, key []value.Value) (int32, bool) {
	ks, err := e.keySerializer(ctx, src)
	if err != nil {
		return 0, false
	}
	b, err := ks.serialize(key)
	if err != nil || b == nil {
		return 0, false
	}
	parts := src.Partitions
	if parts <= 0 {
		info, err := e.opts.Log.DescribeTopic(ctx, src.Topic)
		if err != nil {
			return 0, false
		}
		parts = info.Partitions
	}
	return logstore.Partition(b, parts), true
}

// keySer is a cached key serializer; serializers keep buffers, so calls
// are serialized.
type keySer struct {
	mu  sync.Mutex
	ser format.Serializer
}

func (k *keySer) serialize(key []value.Value) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.ser.Serialize(nil, key)
}

// keySerializer returns src's key serializer, built once per source.
func (e *Engine) keySerializer(ctx context.Context, src *catalog.Source) (*keySer, error) {
	if v, ok := e.keySers.Load(src); ok {
		return v.(*keySer), nil
	}
	kf, _, err := op.Formats(src, e.opts.Registry)
	if err != nil {
		return nil, err
	}
	ser, err := kf.Serializer(ctx, op.Target(src, true))
	if err != nil {
		return nil, err
	}
	v, _ := e.keySers.LoadOrStore(src, &keySer{ser: ser})
	return v.(*keySer), nil
}

// decodeRows runs stored rows through the table's decoder and the pull
// query's filter and projection, up to limit rows (negative: no limit).
func (e *Engine) decodeRows(ctx context.Context, id string, root plan.Node, rows []storedRow, limit int64) ([][]value.Value, error) {
	var out [][]value.Value
	collect := op.Func(func(tc *stream.TaskContext, row *value.Row) error {
		if row.Val == nil || (limit >= 0 && int64(len(out)) >= limit) {
			return nil
		}
		out = append(out, append([]value.Value(nil), row.Val...))
		return nil
	})
	srcNode, chain, ok := op.Stateless(root, collect)
	if !ok {
		return nil, fmt.Errorf("pull query %s: not a filter and projection of a table", id)
	}
	dec, err := op.NewSource(ctx, srcNode.Src, op.Env{Registry: e.opts.Registry, Log: e.opts.Log})
	if err != nil {
		return nil, err
	}
	dec.Next = chain
	tc := stream.NewTaskContext(ctx, id, e.logger, e.opts.ProcessingLog)
	for _, r := range rows {
		if limit >= 0 && int64(len(out)) >= limit {
			break
		}
		if err := op.StoredRow(tc, dec, r.val); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func isNotFound(err error) bool { return errors.Is(err, state.ErrNotFound) }
