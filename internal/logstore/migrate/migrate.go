// Package migrate copies every topic of one logstore.Log into another, so
// that a single-machine user can move an embedded data directory onto a
// Kafka cluster and restart `sluice server --log kafka` with the same
// service id. It speaks only the logstore interface: partition counts and
// topic configs (cleanup.policy and the rest) are recreated, records are
// copied in offset order with their keys, values, timestamps and headers,
// and consumer-group offsets are translated to the target's offsets, which
// differ because Kafka spends offsets on transaction markers.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

// ErrTargetNotEmpty is wrapped when a target topic already holds records
// and Options.Force is not set: a second run must not duplicate data.
var ErrTargetNotEmpty = errors.New("target topic already has records (use --force to replace it)")

// Options tunes a migration.
type Options struct {
	// Force deletes and recreates a target topic that already has
	// records, instead of refusing.
	Force bool
	// Groups are consumer groups whose committed offsets are translated.
	// Groups named after the query ids found in internal topic names are
	// always added (see QueryGroups), since the logstore interface cannot
	// list groups.
	Groups []string
	// Replicas is the target replication factor; zero keeps the broker's
	// default.
	Replicas int16
	// BatchRecords bounds the records copied per transaction. Default
	// 10000.
	BatchRecords int
	// Progress, when set, is called after each topic is copied.
	Progress func(topic string, records int64)
}

// Stats sums up a migration.
type Stats struct {
	Topics  int
	Records int64
	// Groups counts the groups whose offsets were translated.
	Groups int
}

// offsetMap pairs the source and target offsets of the copied records of
// one partition, both ascending, plus the target's end after the copy.
type offsetMap struct {
	src, dst []int64
	end      int64
}

// translate maps a committed source offset (the next to read) to the
// target: the target offset of the first copied record at or after it.
func (m offsetMap) translate(committed int64) int64 {
	i := sort.Search(len(m.src), func(i int) bool { return m.src[i] >= committed })
	if i < len(m.src) {
		return m.dst[i]
	}
	return m.end
}

// Run copies every topic of src into dst, then translates the committed
// offsets of opts.Groups and of the query groups derived from the topic
// names.
func Run(ctx context.Context, src, dst logstore.Log, opts Options) (Stats, error) {
	if opts.BatchRecords <= 0 {
		opts.BatchRecords = 10000
	}
	var st Stats
	topics, err := src.ListTopics(ctx)
	if err != nil {
		return st, fmt.Errorf("migrate: list source topics: %w", err)
	}
	// Check every target before writing anything, so a refused run
	// leaves the cluster as it was.
	for _, ti := range topics {
		if err := prepare(ctx, dst, ti, opts, true); err != nil {
			return st, err
		}
	}
	maps := map[logstore.TopicPartition]offsetMap{}
	for _, ti := range topics {
		if err := prepare(ctx, dst, ti, opts, false); err != nil {
			return st, err
		}
		var n int64
		for p := int32(0); p < ti.Partitions; p++ {
			tp := logstore.TopicPartition{Topic: ti.Name, Partition: p}
			m, err := copyPartition(ctx, src, dst, tp, opts.BatchRecords)
			if err != nil {
				return st, err
			}
			maps[tp] = m
			n += int64(len(m.src))
		}
		st.Topics++
		st.Records += n
		if opts.Progress != nil {
			opts.Progress(ti.Name, n)
		}
	}
	groups := append(append([]string(nil), opts.Groups...), QueryGroups(topics)...)
	sort.Strings(groups)
	tps := make([]logstore.TopicPartition, 0, len(maps))
	for tp := range maps {
		tps = append(tps, tp)
	}
	for i, g := range groups {
		if i > 0 && g == groups[i-1] {
			continue
		}
		ok, err := copyGroup(ctx, src, dst, g, tps, maps)
		if err != nil {
			return st, err
		}
		if ok {
			st.Groups++
		}
	}
	return st, nil
}

// prepare makes the target topic for ti exist, empty, with ti's partition
// count and config. With check set it only reports whether it could.
func prepare(ctx context.Context, dst logstore.Log, ti logstore.TopicInfo, opts Options, check bool) error {
	cfg := ti.Config
	cfg.Partitions = ti.Partitions
	cfg.Replicas = opts.Replicas
	have, err := dst.DescribeTopic(ctx, ti.Name)
	if errors.Is(err, logstore.ErrUnknownTopic) {
		if check {
			return nil
		}
		if err := dst.CreateTopic(ctx, ti.Name, cfg); err != nil {
			return fmt.Errorf("migrate: create target topic %q (%d partitions): %w", ti.Name, ti.Partitions, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("migrate: describe target topic %q: %w", ti.Name, err)
	}
	nonEmpty := false
	for p := int32(0); p < have.Partitions && !nonEmpty; p++ {
		off, err := dst.ListOffsets(ctx, logstore.TopicPartition{Topic: ti.Name, Partition: p})
		if err != nil {
			return fmt.Errorf("migrate: offsets of target %s-%d: %w", ti.Name, p, err)
		}
		nonEmpty = off.End > off.Start
	}
	if !nonEmpty && have.Partitions == ti.Partitions && have.Config.Compact == ti.Config.Compact {
		return nil // an empty twin, e.g. left by an interrupted run
	}
	if !opts.Force {
		if nonEmpty {
			return fmt.Errorf("migrate: topic %q: %w", ti.Name, ErrTargetNotEmpty)
		}
		return fmt.Errorf("migrate: topic %q exists on the target with %d partitions (compact=%t), want %d (compact=%t); use --force to replace it",
			ti.Name, have.Partitions, have.Config.Compact, ti.Partitions, ti.Config.Compact)
	}
	if check {
		return nil
	}
	if err := dst.DeleteTopic(ctx, ti.Name); err != nil {
		return fmt.Errorf("migrate: delete target topic %q for --force: %w", ti.Name, err)
	}
	// Kafka deletes asynchronously: creation fails until the old topic is
	// gone, so retry for a while.
	deadline := time.Now().Add(time.Minute)
	for {
		err := dst.CreateTopic(ctx, ti.Name, cfg)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("migrate: recreate target topic %q: %w", ti.Name, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate: recreate target topic %q: %w", ti.Name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// copyPartition copies tp's committed records, one transaction per batch,
// and returns the offsets they had and got.
func copyPartition(ctx context.Context, src, dst logstore.Log, tp logstore.TopicPartition, batch int) (offsetMap, error) {
	var m offsetMap
	bounds, err := src.ListOffsets(ctx, tp)
	if err != nil {
		return m, fmt.Errorf("migrate: offsets of %s-%d: %w", tp.Topic, tp.Partition, err)
	}
	txnID := fmt.Sprintf("sluice-migrate-%s-%d", tp.Topic, tp.Partition)
	for off := bounds.Start; off < bounds.End; {
		recs, err := src.Fetch(ctx, tp, off, logstore.FetchOptions{MaxRecords: batch})
		if err != nil {
			return m, fmt.Errorf("migrate: read %s-%d at offset %d: %w", tp.Topic, tp.Partition, off, err)
		}
		if len(recs) == 0 {
			break
		}
		srcOffs := make([]int64, len(recs))
		for i := range recs {
			srcOffs[i] = recs[i].Offset
			recs[i].Partition = tp.Partition
		}
		got, err := produce(ctx, dst, txnID, tp, recs)
		if err != nil {
			return m, fmt.Errorf("migrate: write %s-%d, source offsets %d..%d: %w", tp.Topic, tp.Partition, srcOffs[0], srcOffs[len(srcOffs)-1], err)
		}
		if len(got) != len(recs) {
			return m, fmt.Errorf("migrate: write %s-%d: target assigned %d offsets to %d records", tp.Topic, tp.Partition, len(got), len(recs))
		}
		m.src = append(m.src, srcOffs...)
		m.dst = append(m.dst, got...)
		off = srcOffs[len(srcOffs)-1] + 1
	}
	end, err := dst.ListOffsets(ctx, tp)
	if err != nil {
		return m, fmt.Errorf("migrate: offsets of target %s-%d: %w", tp.Topic, tp.Partition, err)
	}
	m.end = end.End
	return m, nil
}

func produce(ctx context.Context, dst logstore.Log, txnID string, tp logstore.TopicPartition, recs []logstore.Record) ([]int64, error) {
	txn, err := dst.Begin(ctx, txnID)
	if err != nil {
		return nil, err
	}
	if err := txn.Produce(ctx, tp.Topic, recs...); err != nil {
		_ = txn.Abort(ctx)
		return nil, err
	}
	offs, err := txn.Commit(ctx)
	if err != nil {
		return nil, err
	}
	return offs[tp], nil
}

// copyGroup translates group's committed offsets on the copied partitions;
// it reports whether the group had any.
func copyGroup(ctx context.Context, src, dst logstore.Log, group string, tps []logstore.TopicPartition, maps map[logstore.TopicPartition]offsetMap) (bool, error) {
	committed, err := src.CommittedOffsets(ctx, group, tps)
	if err != nil {
		return false, fmt.Errorf("migrate: committed offsets of group %q: %w", group, err)
	}
	if len(committed) == 0 {
		return false, nil
	}
	out := make(map[logstore.TopicPartition]int64, len(committed))
	for tp, off := range committed {
		out[tp] = maps[tp].translate(off)
	}
	txn, err := dst.Begin(ctx, "sluice-migrate-offsets")
	if err != nil {
		return false, fmt.Errorf("migrate: group %q: %w", group, err)
	}
	if err := txn.CommitOffsets(ctx, group, out); err != nil {
		_ = txn.Abort(ctx)
		return false, fmt.Errorf("migrate: group %q: %w", group, err)
	}
	if _, err := txn.Commit(ctx); err != nil {
		return false, fmt.Errorf("migrate: commit offsets of group %q: %w", group, err)
	}
	return true, nil
}

// QueryGroups derives ksqlDB's per-query consumer groups,
// "_confluent-ksql-<service>query_<id>", from internal topic names of the
// form "<group>-<operator>-changelog|repartition". Stateless queries have
// no such topic; pass their groups in Options.Groups.
func QueryGroups(topics []logstore.TopicInfo) []string {
	const prefix = "_confluent-ksql-"
	var out []string
	for _, ti := range topics {
		n := ti.Name
		if !strings.HasPrefix(n, prefix) || !(strings.HasSuffix(n, "-changelog") || strings.HasSuffix(n, "-repartition")) {
			continue
		}
		q := strings.Index(n[len(prefix):], "query_")
		if q < 0 {
			continue
		}
		start := len(prefix) + q + len("query_")
		dash := strings.IndexByte(n[start:], '-')
		if dash <= 0 {
			continue
		}
		out = append(out, n[:start+dash])
	}
	return out
}
