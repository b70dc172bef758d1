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

// StoredRow is one entry of a table's materialization that a pull query
// read: its store key and the stored record.
type StoredRow struct {
	Key []byte `json:"k"`
	Val []byte `json:"v"`
}

// StoreRead is one read of a table's materialization in one partition:
// the value of one key (Get), or the keys in [Lo, Hi) (nil bounds are
// open).
type StoreRead struct {
	Partition int32  `json:"partition"`
	Get       []byte `json:"get,omitempty"`
	Lo        []byte `json:"lo,omitempty"`
	Hi        []byte `json:"hi,omitempty"`
}

// pullStore answers a pull query on a table from its materialization,
// reading the rows planAccess chooses from a snapshot of the stores (here,
// or on the servers owning them: pullroute.go) and running each through
// the table's decoder and the query's filter and projection. ok is false
// when the table has no materialization; the caller then scans the topic.
func (e *Engine) pullStore(ctx context.Context, id string, root plan.Node, src *catalog.Source, where ast.Expr, limit int64) ([][]value.Value, bool, error) {
	if e.opts.State == nil {
		return nil, false, nil
	}
	ts, ok := e.materialization(src)
	if !ok {
		return nil, false, nil
	}
	info, err := e.opts.Log.DescribeTopic(ctx, ts.topic)
	if err != nil {
		return nil, false, fmt.Errorf("table %s: %w", src.Name, err)
	}
	reads := e.storeReads(ctx, src, ts, planAccess(src, where), info.Partitions)
	var rows []StoredRow
	if e.distributed() {
		rows, err = e.routeReads(ctx, ts, src, reads)
	} else {
		// One server owns every partition; a key some other producer put
		// in another partition than the partitioner says is found by
		// probing the rest.
		rows, err = e.readLocal(ts, src, reads, info.Partitions)
	}
	if err != nil {
		return nil, false, err
	}
	sort.SliceStable(rows, func(i, j int) bool { return bytes.Compare(rows[i].Key, rows[j].Key) < 0 })
	out, err := e.decodeRows(ctx, id, root, ts.view, rows, limit)
	return out, true, err
}

// storeReads turns an access into reads of a table's partitions.
func (e *Engine) storeReads(ctx context.Context, src *catalog.Source, ts *tableStore, acc pullAccess, parts int32) []StoreRead {
	var reads []StoreRead
	all := func(lo, hi []byte) {
		for p := int32(0); p < parts; p++ {
			reads = append(reads, StoreRead{Partition: p, Lo: lo, Hi: hi})
		}
	}
	switch acc.kind {
	case accessScan, accessRange:
		all(acc.lo, acc.hi)
	case accessLookup:
		for _, k := range acc.keys {
			prefix := op.AppendStoreKey(nil, k, nil)
			if src.Window != catalog.NoWindow {
				// A windowed key's rows may sit in any partition, as the
				// sink partitions by the key and window together.
				all(op.AppendWindowTime(bytes.Clone(prefix), acc.winLo),
					prefixEnd(op.AppendWindowTime(bytes.Clone(prefix), acc.winHi)))
				continue
			}
			var p int32
			var ok bool
			if ts.view != nil {
				p, ok = ts.view.Partition(k)
			} else {
				p, ok = e.keyPartition(ctx, src, k, parts)
			}
			if !ok {
				// The key's partition is not known: on one server, look
				// in the first and let readLocal probe the rest; on
				// several, ask every partition's owner.
				if !e.distributed() {
					reads = append(reads, StoreRead{Partition: 0, Get: prefix})
					continue
				}
				for p := int32(0); p < parts; p++ {
					reads = append(reads, StoreRead{Partition: p, Get: prefix})
				}
				continue
			}
			reads = append(reads, StoreRead{Partition: p, Get: prefix})
		}
	}
	return reads
}

// readLocal runs reads on a snapshot of this server's stores of the
// table. A Get that misses is retried in the other partitions below
// probe (0: none).
func (e *Engine) readLocal(ts *tableStore, src *catalog.Source, reads []StoreRead, probe int32) ([]StoredRow, error) {
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
		h, err := e.opts.State.Store(stream.StoreName(ts.q.Spec().Group, ts.store, p))
		if err != nil {
			return nil, fmt.Errorf("table %s partition %d: %w", src.Name, p, err)
		}
		r := snap.Store(h)
		readers[p] = r
		return r, nil
	}
	var rows []StoredRow
	get := func(p int32, key []byte) (bool, error) {
		r, err := reader(p)
		if err != nil {
			return false, err
		}
		val, err := r.Get(key)
		if errors.Is(err, state.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("table %s partition %d: %w", src.Name, p, err)
		}
		rows = append(rows, StoredRow{Key: key, Val: val})
		return true, nil
	}
	for _, rd := range reads {
		if rd.Get != nil {
			found, err := get(rd.Partition, rd.Get)
			if err != nil {
				return nil, err
			}
			for p := int32(0); p < probe && !found; p++ {
				if p != rd.Partition {
					if found, err = get(p, rd.Get); err != nil {
						return nil, err
					}
				}
			}
			continue
		}
		r, err := reader(rd.Partition)
		if err != nil {
			return nil, err
		}
		it, err := r.NewIter(state.IterOptions{Start: rd.Lo, End: rd.Hi})
		if err != nil {
			return nil, fmt.Errorf("table %s partition %d: %w", src.Name, rd.Partition, err)
		}
		for it.Next() {
			rows = append(rows, StoredRow{Key: bytes.Clone(it.Key()), Val: bytes.Clone(it.Value())})
		}
		if err := it.Close(); err != nil {
			return nil, fmt.Errorf("table %s partition %d: %w", src.Name, rd.Partition, err)
		}
	}
	return rows, nil
}

// keyPartition is the partition the table's sink puts key in: murmur2
// over the key serialized in the table's key format, as Kafka's default
// partitioner does.
func (e *Engine) keyPartition(ctx context.Context, src *catalog.Source, key []value.Value, parts int32) (int32, bool) {
	ks, err := e.keySerializer(ctx, src)
	if err != nil {
		return 0, false
	}
	b, err := ks.serialize(key)
	if err != nil || b == nil {
		return 0, false
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
func (e *Engine) decodeRows(ctx context.Context, id string, root plan.Node, view *op.AggregateView, rows []StoredRow, limit int64) ([][]value.Value, error) {
	var out [][]value.Value
	srcNode, chain, ok := pullChain(root, limit, &out)
	if !ok {
		return nil, fmt.Errorf("pull query %s: not a filter and projection of a table", id)
	}
	dec, err := op.NewSource(ctx, srcNode.Src, op.Env{Registry: e.opts.Registry, Log: e.opts.Log})
	if err != nil {
		return nil, err
	}
	dec.Next = chain
	tc := stream.NewTaskContext(ctx, id, e.logger, e.opts.ProcessingLog)
	var viewChain op.Op
	if view != nil {
		viewChain = view.Chain(chain)
	}
	for _, r := range rows {
		if limit >= 0 && int64(len(out)) >= limit {
			break
		}
		var err error
		if view != nil {
			err = view.Process(tc, r.Key, r.Val, viewChain)
		} else {
			err = op.StoredRow(tc, dec, r.Val)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
