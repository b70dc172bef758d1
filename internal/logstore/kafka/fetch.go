package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicedb/sluice/internal/logstore"
)

// cursor is the read-ahead of one partition. A broker answers a fetch with
// whole batches, often more than the caller asked for; the rest waits here
// for the caller's next, sequential Fetch instead of being fetched again.
// It also remembers where transaction markers and aborted records were
// skipped, so a caller waiting at such an offset does not refetch them.
type cursor struct {
	topicID [16]byte
	next    int64             // the offset the caller will ask for next
	skipTo  int64             // where the broker fetch for next starts
	buf     []logstore.Record // committed records from next on
}

// takeCursor removes tp's cursor from the pool, so that concurrent Fetches
// of one partition never share one; putCursor returns it.
func (l *Log) takeCursor(tp logstore.TopicPartition) *cursor {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.cursors[tp]
	delete(l.cursors, tp)
	return c
}

func (l *Log) putCursor(tp logstore.TopicPartition, c *cursor) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.cursors[tp] = c
	}
}

// Fetch reads committed records of one partition from offset on. It asks
// the partition's leader directly, under read_committed isolation, and
// long-polls in the broker up to opts.MaxWait.
func (l *Log) Fetch(ctx context.Context, tp logstore.TopicPartition, offset int64, opts logstore.FetchOptions) ([]logstore.Record, error) {
	ctx, done, err := l.op(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	m, err := l.partition(ctx, tp, false)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("kafka: fetch %s/%d at %d: %w", tp.Topic, tp.Partition, offset, logstore.ErrOffsetOutOfRange)
	}
	maxRecords, maxBytes := opts.MaxRecords, opts.MaxBytes
	if maxRecords <= 0 {
		maxRecords = l.opts.DefaultFetchRecords
	}
	if maxBytes <= 0 {
		maxBytes = l.opts.DefaultFetchBytes
	}

	c := l.takeCursor(tp)
	if c == nil || c.next != offset || c.topicID != m.id {
		c = &cursor{topicID: m.id, next: offset, skipTo: offset}
	}
	if len(c.buf) == 0 {
		if err := l.fill(ctx, tp, m, c, opts.MaxWait, maxBytes); err != nil {
			return nil, err
		}
	}
	out := take(c, maxRecords, maxBytes)
	l.putCursor(tp, c)
	return out, nil
}

// take moves up to maxRecords records, and about maxBytes of keys and
// values but at least one record, from the cursor's buffer.
func take(c *cursor, maxRecords, maxBytes int) []logstore.Record {
	n, size := 0, 0
	for n < len(c.buf) && n < maxRecords {
		size += len(c.buf[n].Key) + len(c.buf[n].Value)
		if n > 0 && size > maxBytes {
			break
		}
		n++
	}
	if n == 0 {
		return nil
	}
	out := c.buf[:n:n]
	c.buf = c.buf[n:]
	c.next = out[n-1].Offset + 1
	if len(c.buf) == 0 {
		c.buf = nil
		c.skipTo = c.next
	}
	return out
}

// fill fetches from c.skipTo until it buffers a committed record or wait
// passes. Batches of markers or aborted records move c.skipTo on.
func (l *Log) fill(ctx context.Context, tp logstore.TopicPartition, m topicMeta, c *cursor, wait time.Duration, maxBytes int) error {
	deadline := time.Now().Add(wait)
	var retryUntil time.Time
	for delay := fetchRetryBackoff; ; {
		remaining := max(time.Until(deadline), 0)
		fp, next, err := l.fetchOnce(ctx, tp, m, c.skipTo, remaining, max(maxBytes, l.opts.DefaultFetchBytes))
		if err != nil {
			if !retriableFetch(err) {
				return l.closedErr(wrap(err, "fetch %s/%d at %d", tp.Topic, tp.Partition, c.skipTo))
			}
			// A leader change, a topic re-created elsewhere, or a topic
			// so new that the broker has published its metadata but not
			// yet taken up leadership of its partitions (KRaft applies
			// the two one after the other) shows as one of these. As the
			// Java consumer does, reload the metadata and retry after a
			// growing backoff, up to the time a new topic's metadata may
			// take to settle; a deleted topic ends the loop when the
			// reloaded metadata no longer lists it.
			if retryUntil.IsZero() {
				retryUntil = time.Now().Add(metaPropagation)
			} else if time.Now().After(retryUntil) {
				return l.closedErr(wrap(err, "fetch %s/%d at %d", tp.Topic, tp.Partition, c.skipTo))
			}
			select {
			case <-ctx.Done():
				return l.closedErr(fmt.Errorf("%w: %w", wrap(err, "fetch %s/%d at %d", tp.Topic, tp.Partition, c.skipTo), ctx.Err()))
			case <-time.After(delay):
			}
			delay = min(2*delay, fetchRetryBackoffMax)
			if m, err = l.partition(ctx, tp, true); err != nil {
				return err
			}
			c.topicID = m.id
			continue
		}
		for _, r := range fp.Records {
			if r.Offset < c.next {
				continue
			}
			c.buf = append(c.buf, convert(r))
		}
		moved := next > c.skipTo
		if moved {
			c.skipTo = next
		}
		// A response of only markers or aborted records moved on without
		// a record to return; fetch on past them even after the wait, so
		// a reader below the end never gets an empty batch for them.
		if len(c.buf) > 0 || (time.Now().After(deadline) && !moved) || ctx.Err() != nil {
			return nil
		}
	}
}

// fetchRetryBackoff and fetchRetryBackoffMax bound the pause before a
// fetch that failed on stale metadata is retried, like the Java client's
// retry.backoff.ms and retry.backoff.max.ms.
const (
	fetchRetryBackoff    = 10 * time.Millisecond
	fetchRetryBackoffMax = 500 * time.Millisecond
)

// retriableFetch reports whether a fetch failed only because the Log's
// metadata for the partition is stale or the broker has not caught up
// with it yet.
func retriableFetch(err error) bool {
	return errors.Is(err, kerr.NotLeaderForPartition) || errors.Is(err, kerr.FencedLeaderEpoch) ||
		errors.Is(err, kerr.UnknownLeaderEpoch) || errors.Is(err, kerr.UnknownTopicID) ||
		errors.Is(err, kerr.UnknownTopicOrPartition) || errors.Is(err, kerr.LeaderNotAvailable)
}

// fetchOnce sends one Fetch request to the partition's leader.
func (l *Log) fetchOnce(ctx context.Context, tp logstore.TopicPartition, m topicMeta, offset int64, wait time.Duration, maxBytes int) (kgo.FetchPartition, int64, error) {
	phys := l.physical(tp.Topic)
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = int32(wait.Milliseconds())
	req.MinBytes = 1
	req.MaxBytes = int32(maxBytes)
	req.IsolationLevel = 1 // read_committed
	req.SessionEpoch = -1  // no fetch session: each Fetch stands alone
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = phys
	rt.TopicID = m.id
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = tp.Partition
	rp.FetchOffset = offset
	rp.CurrentLeaderEpoch = -1
	rp.LastFetchedEpoch = -1
	rp.LogStartOffset = -1
	rp.PartitionMaxBytes = int32(maxBytes)
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)

	leader := m.leaders[tp.Partition]
	if leader < 0 {
		return kgo.FetchPartition{}, 0, kerr.LeaderNotAvailable
	}
	cl := l.cl
	if wait > 0 {
		pc, err := l.poller()
		if err != nil {
			return kgo.FetchPartition{}, 0, err
		}
		defer l.returnPoller(pc)
		cl = pc
	}
	// RetriableRequest rides out a connection that died under us, which
	// happens whenever another caller's cancelled request shared it.
	kresp, err := cl.Broker(int(leader)).RetriableRequest(ctx, req)
	if err != nil {
		return kgo.FetchPartition{}, 0, err
	}
	resp := kresp.(*kmsg.FetchResponse)
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return kgo.FetchPartition{}, 0, err
	}
	for i := range resp.Topics {
		t := &resp.Topics[i]
		if t.Topic != phys && t.TopicID != m.id {
			continue
		}
		for j := range t.Partitions {
			p := &t.Partitions[j]
			if p.Partition != tp.Partition {
				continue
			}
			fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
				Offset:         offset,
				IsolationLevel: kgo.ReadCommitted(),
				Topic:          tp.Topic,
				Partition:      tp.Partition,
			}, p, kgo.DefaultDecompressor(), nil)
			return fp, next, fp.Err
		}
	}
	return kgo.FetchPartition{}, 0, fmt.Errorf("partition missing from the fetch response")
}

// convert copies a franz-go record into the logstore's shape. The bytes
// are not copied: each fetch response is decoded into fresh memory.
func convert(r *kgo.Record) logstore.Record {
	out := logstore.Record{
		Key:       r.Key,
		Value:     r.Value,
		Timestamp: r.Timestamp.UnixMilli(),
		Partition: r.Partition,
		Offset:    r.Offset,
	}
	if len(r.Headers) > 0 {
		out.Headers = make([]logstore.Header, len(r.Headers))
		for i, h := range r.Headers {
			out.Headers[i] = logstore.Header{Key: h.Key, Value: h.Value}
		}
	}
	return out
}

// ListOffsets returns the log start offset and the last stable offset:
// under read_committed, records past it are not yet readable.
func (l *Log) ListOffsets(ctx context.Context, tp logstore.TopicPartition) (logstore.Offsets, error) {
	ctx, done, err := l.op(ctx)
	if err != nil {
		return logstore.Offsets{}, err
	}
	defer done()
	if _, err := l.partition(ctx, tp, false); err != nil {
		return logstore.Offsets{}, err
	}
	start, err := l.listOffset(ctx, tp, -2)
	if err != nil {
		return logstore.Offsets{}, err
	}
	end, err := l.listOffset(ctx, tp, -1)
	if err != nil {
		return logstore.Offsets{}, err
	}
	return logstore.Offsets{Start: start, End: end}, nil
}

// OffsetForTime returns the first offset with a timestamp at or after ts,
// or the last stable offset if there is none.
func (l *Log) OffsetForTime(ctx context.Context, tp logstore.TopicPartition, ts int64) (int64, error) {
	ctx, done, err := l.op(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	if _, err := l.partition(ctx, tp, false); err != nil {
		return 0, err
	}
	if ts < 0 {
		ts = 0 // negative timestamps are ListOffsets' special values
	}
	off, err := l.listOffset(ctx, tp, ts)
	if err != nil {
		return 0, err
	}
	if off < 0 {
		return l.listOffset(ctx, tp, -1)
	}
	return off, nil
}

// listOffset asks the leader for one offset: -2 is the earliest, -1 the
// latest stable, anything else a timestamp. A partition whose leadership
// the broker has not settled yet (a topic created a moment ago, under
// load) answers with a retriable error for a while; that is waited out.
func (l *Log) listOffset(ctx context.Context, tp logstore.TopicPartition, ts int64) (int64, error) {
	deadline := time.Now().Add(leaderSettle)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		off, err := l.listOffsetOnce(ctx, tp, ts)
		settling := errors.Is(err, kerr.NotLeaderForPartition) || errors.Is(err, kerr.LeaderNotAvailable) ||
			errors.Is(err, kerr.FencedLeaderEpoch) || errors.Is(err, kerr.UnknownLeaderEpoch) ||
			errors.Is(err, kerr.OffsetNotAvailable)
		if !settling || time.Now().After(deadline) {
			return off, err
		}
		select {
		case <-ctx.Done():
			return 0, l.closedErr(wrap(ctx.Err(), "list offsets of %s/%d", tp.Topic, tp.Partition))
		case <-time.After(delay):
		}
	}
}

// leaderSettle bounds how long listOffset waits out retriable errors.
const leaderSettle = 10 * time.Second

func (l *Log) listOffsetOnce(ctx context.Context, tp logstore.TopicPartition, ts int64) (int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	req.IsolationLevel = 1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = l.physical(tp.Topic)
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition = tp.Partition
	rp.CurrentLeaderEpoch = -1
	rp.Timestamp = ts
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, l.cl)
	if err != nil {
		return 0, l.closedErr(wrap(err, "list offsets of %s/%d", tp.Topic, tp.Partition))
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.Partition != tp.Partition {
				continue
			}
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return 0, wrap(err, "list offsets of %s/%d", tp.Topic, tp.Partition)
			}
			return p.Offset, nil
		}
	}
	return 0, fmt.Errorf("kafka: list offsets of %s/%d: partition missing from the response", tp.Topic, tp.Partition)
}

// CommittedOffsets reads a consumer group's committed offsets.
func (l *Log) CommittedOffsets(ctx context.Context, group string, tps []logstore.TopicPartition) (map[logstore.TopicPartition]int64, error) {
	ctx, done, err := l.op(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	// RequireStable makes the coordinator refuse, rather than hide,
	// offsets of a transaction whose markers are not yet written; the
	// loop waits those out so a committed transaction's offsets show.
	var resps kadm.OffsetResponses
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		resps, err = l.adm.FetchOffsets(kadm.RequireStable(ctx), l.group(group))
		if err == nil {
			err = resps.Error()
		}
		if !errors.Is(err, kerr.UnstableOffsetCommit) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, l.closedErr(fmt.Errorf("kafka: fetch offsets of group %q: %w", group, ctx.Err()))
		case <-time.After(delay):
		}
	}
	if err != nil {
		return nil, l.closedErr(wrap(err, "fetch offsets of group %q", group))
	}
	out := map[logstore.TopicPartition]int64{}
	for _, tp := range tps {
		r, ok := resps.Lookup(l.physical(tp.Topic), tp.Partition)
		if !ok {
			continue
		}
		if r.Err == nil && r.At >= 0 {
			out[tp] = r.At
		}
	}
	return out, nil
}

// poller lends a client of its own to a fetch that waits in the broker. A
// broker answers the requests of one connection one at a time, in order,
// so a long poll on the shared client's fetch connection would hold up
// every other caller's fetch (a task with records waiting, the command
// runner) for up to its whole wait.
func (l *Log) poller() (*kgo.Client, error) {
	owner := l
	if l.parent != nil {
		owner = l.parent
	}
	owner.mu.Lock()
	if n := len(owner.pollers); n > 0 {
		pc := owner.pollers[n-1]
		owner.pollers = owner.pollers[:n-1]
		owner.mu.Unlock()
		return pc, nil
	}
	owner.mu.Unlock()
	opts, err := owner.opts.clientOpts()
	if err != nil {
		return nil, fmt.Errorf("kafka: fetch client: %w", err)
	}
	pc, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: fetch client: %w", err)
	}
	return pc, nil
}

// returnPoller keeps a lent client for the next long poll, or closes it
// once the owning Log is closed.
func (l *Log) returnPoller(pc *kgo.Client) {
	owner := l
	if l.parent != nil {
		owner = l.parent
	}
	owner.mu.Lock()
	if !owner.closed {
		owner.pollers = append(owner.pollers, pc)
		pc = nil
	}
	owner.mu.Unlock()
	if pc != nil {
		pc.Close()
	}
}
