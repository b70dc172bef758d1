package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/logstore"
)

// When servers share a query (cluster.go), each holds the stores of the
// tasks it owns, so a pull query may need partitions another server has.
// As in ksqlDB's HARouting, the server that receives the query finds each
// partition's owner and forwards the reads it cannot answer: a key lookup
// goes to the owner of the key's partition, a range or a scan fans out to
// the owners of every partition, and the rows are merged. Owners are found
// through the query's consumer group: every server joins it advertising
// its internal listener (Options.Advertised, ksqlDB's
// ksql.internal.listener), and the log reports the address of the member
// each partition is assigned to (logstore.OwnerLocator), as Kafka Streams'
// partition assignor hands ksqlDB the hosts of its partitions. There is no
// other membership record to keep in sync, and ownership is by definition
// the group's.
//
// What is forwarded is the reads, not the SQL: the owner answers a
// PullRead from its own stores and never forwards it again (ksqlDB's
// internal request flag), and the server that planned the query decodes,
// filters and projects every row itself, so a row means the same wherever
// its partition lives.

// PullRead asks a server for the rows of a table's materialization that
// reads select, in partitions it owns.
type PullRead struct {
	Table string      `json:"table"`
	Reads []StoreRead `json:"reads"`
}

// PullForwarder sends a PullRead to the server whose internal listener is
// at url, which answers it with Engine.ReadLocal.
type PullForwarder interface {
	ReadRemote(ctx context.Context, url string, req *PullRead) ([]StoredRow, error)
}

// ErrNotOwner is ReadLocal's answer for a partition this server does not
// own (any more); the asking server looks the owner up again.
var ErrNotOwner = errors.New("partition is not owned by this server")

// routeWait bounds how long a pull query waits for partitions without an
// owner, as during a rebalance.
const routeWait = 10 * time.Second

// ReadLocal answers a PullRead another server forwarded, from this
// server's stores only.
func (e *Engine) ReadLocal(ctx context.Context, req *PullRead) ([]StoredRow, error) {
	src, ok := e.cat.Source(req.Table)
	if !ok || src.Kind != catalog.Table {
		return nil, fmt.Errorf("pull read: table %s does not exist here", req.Table)
	}
	ts, ok := e.materialization(src)
	if !ok {
		return nil, fmt.Errorf("pull read: table %s is not materialized here", req.Table)
	}
	owned := e.ownedPartitions(ts)
	for _, rd := range req.Reads {
		if !owned[rd.Partition] {
			return nil, fmt.Errorf("pull read: table %s partition %d: %w", src.Name, rd.Partition, ErrNotOwner)
		}
	}
	return e.readLocal(ts, src, req.Reads, 0)
}

// ownedPartitions returns the partitions of src's materialization whose
// tasks run here.
func (e *Engine) ownedPartitions(ts *tableStore) map[int32]bool {
	inputs := ts.q.TaskInputs()
	idx := ts.q.Assigned()
	if !e.distributed() {
		idx = make([]int, len(inputs))
		for i := range idx {
			idx[i] = i
		}
	}
	out := map[int32]bool{}
	for _, i := range idx {
		if tps := inputs[i]; len(tps) > 0 && tps[0].Topic == ts.topic {
			out[tps[0].Partition] = true
		}
	}
	return out
}

// routeReads runs reads here for the partitions this server owns and on
// their owners for the rest, retrying partitions whose owner is unknown or
// moved until routeWait has passed.
func (e *Engine) routeReads(ctx context.Context, ts *tableStore, src *catalog.Source, reads []StoreRead) ([]StoredRow, error) {
	group := ts.q.Spec().Group
	loc, _ := e.opts.Log.(logstore.OwnerLocator)
	deadline := time.Now().Add(routeWait)
	var rows []StoredRow
	for {
		owned := e.ownedPartitions(ts)
		var local []StoreRead
		remote := map[int32][]StoreRead{}
		for _, rd := range reads {
			if owned[rd.Partition] {
				local = append(local, rd)
			} else {
				remote[rd.Partition] = append(remote[rd.Partition], rd)
			}
		}
		got, err := e.readLocal(ts, src, local, 0)
		if err != nil {
			return nil, err
		}
		rows = append(rows, got...)
		if len(remote) == 0 {
			return rows, nil
		}
		if loc == nil || e.opts.Forward == nil {
			return nil, fmt.Errorf("table %s: partitions are owned by other servers, and this one cannot forward to them", src.Name)
		}
		var tps []logstore.TopicPartition
		for p := range remote {
			tps = append(tps, logstore.TopicPartition{Topic: ts.topic, Partition: p})
		}
		owners, err := loc.TaskOwners(ctx, group, tps)
		if err != nil {
			return nil, fmt.Errorf("table %s: find partition owners: %w", src.Name, err)
		}
		byURL := map[string][]StoreRead{}
		var retry []StoreRead
		var lastErr error
		for _, tp := range tps {
			url, ok := owners[tp]
			if !ok || url == e.opts.Advertised {
				// No owner yet, or this server before its assignment
				// took effect: ask again shortly.
				retry = append(retry, remote[tp.Partition]...)
				lastErr = fmt.Errorf("partition %d has no owner", tp.Partition)
				continue
			}
			byURL[url] = append(byURL[url], remote[tp.Partition]...)
		}
		for url, rs := range byURL {
			got, err := e.opts.Forward.ReadRemote(ctx, url, &PullRead{Table: src.Name, Reads: rs})
			if err != nil {
				retry = append(retry, rs...)
				lastErr = fmt.Errorf("forward to %s: %w", url, err)
				continue
			}
			rows = append(rows, got...)
		}
		if len(retry) == 0 {
			return rows, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("table %s: pull query: %w", src.Name, lastErr)
		}
		reads = retry
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
