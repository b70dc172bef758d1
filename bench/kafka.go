package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
)

// runKafka is Run on a Kafka cluster (Options.Kafka), as `sluice server
// --log kafka` runs: the query's tasks run in their own goroutines and
// commit every commit.interval.ms, in Kafka transactions under
// exactly_once_v2 or with plain offset commits under at_least_once. The
// run ends when the sink holds the expected records. Its topics live
// under a namespace of their own and are deleted afterwards.
func runKafka(ctx context.Context, w Workload, opts Options) (Result, error) {
	res := Result{Workload: w.Name, Format: opts.Format, Records: w.Records(opts.Records)}
	ns := fmt.Sprintf("sluicebench-%s-%x-", w.Name, time.Now().UnixNano())
	lg, err := kafka.Open(ctx, kafka.Options{BootstrapServers: strings.Split(opts.Kafka, ","), Namespace: ns, Logger: opts.Logger})
	if err != nil {
		return res, fmt.Errorf("bench: open kafka: %w", err)
	}
	defer lg.Close()
	defer func() {
		// The benchmark's topics are scratch: leave the broker as found.
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if topics, err := lg.ListTopics(cctx); err == nil {
			for _, t := range topics {
				_ = lg.DeleteTopic(cctx, t.Name)
			}
		}
	}()
	sr, err := registry.Open(ctx, lg, registry.Options{})
	if err != nil {
		return res, fmt.Errorf("bench: open registry: %w", err)
	}
	stateDir := opts.Dir + "/state"
	st, err := pebblestore.Open(stateDir, pebblestore.Options{})
	if err != nil {
		return res, fmt.Errorf("bench: open state: %w", err)
	}
	defer st.Close()
	reg := engine.SchemaRegistry(sr)
	guarantee := opts.Guarantee
	if guarantee == "" {
		guarantee = "exactly_once_v2"
	}
	cfg := map[string]string{"ksql.streams.processing.guarantee": guarantee}
	if opts.CommitInterval > 0 {
		cfg["ksql.streams.commit.interval.ms"] = fmt.Sprint(opts.CommitInterval.Milliseconds())
	}
	eng := engine.New(engine.Options{Log: lg, State: st, Registry: reg, Functions: builtin.New(), Logger: opts.Logger, Config: cfg})
	defer eng.Close()

	sess := engine.NewSession()
	if err := declareInputs(ctx, eng, sess, lg, reg, w, opts); err != nil {
		return res, err
	}
	want := w.Want(opts.Records)

	mt, err := startMeter(opts.CPUProfile)
	if err != nil {
		return res, err
	}
	results, err := eng.Execute(ctx, sess, fmt.Sprintf(w.Query, opts.Format))
	if err != nil {
		return res, fmt.Errorf("bench: start query: %w", err)
	}
	id := results[len(results)-1].QueryID
	inputs := 0
	for _, in := range w.Inputs {
		inputs += in.Count(opts.Records)
	}
	// The query is done when it has read every input record and committed
	// past them. Stats leaves out a partition whose offsets it failed to
	// list, so a lag of zero alone is not enough.
	for ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
		st, ok := eng.QueryStats(ctx, id)
		if !ok {
			return res, fmt.Errorf("bench: query %s is not running", id)
		}
		if st.RecordsIn >= uint64(inputs) && st.Lag == 0 {
			break
		}
	}
	mt.stop(&res)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	// Kafka spends offsets on transaction markers, so the sink's records
	// are counted by reading them.
	out, err := countRecords(ctx, lg, w.Sink)
	if err != nil {
		return res, err
	}
	res.Outputs = out
	res.StateBytes = dirSize(stateDir)
	if out != want {
		// Say whether the records were late or missing.
		time.Sleep(5 * time.Second)
		later, _ := countRecords(ctx, lg, w.Sink)
		st, _ := eng.QueryStats(ctx, id)
		return res, fmt.Errorf("%w: %s wrote %d records to %s (%d five seconds later; query in %d, out %d, lag %d), want %d",
			ErrWrongOutput, w.Name, out, w.Sink, later, st.RecordsIn, st.RecordsOut, st.Lag, want)
	}
	return res, nil
}

// countRecords reads a topic's committed records and counts them.
func countRecords(ctx context.Context, lg logstore.Log, topic string) (int, error) {
	info, err := lg.DescribeTopic(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("bench: sink %s: %w", topic, err)
	}
	n := 0
	for p := range info.Partitions {
		tp := logstore.TopicPartition{Topic: topic, Partition: p}
		offs, err := lg.ListOffsets(ctx, tp)
		if err != nil {
			return 0, fmt.Errorf("bench: sink %s: %w", topic, err)
		}
		for next, empty := offs.Start, 0; next < offs.End && empty < 10; {
			recs, err := lg.Fetch(ctx, tp, next, logstore.FetchOptions{MaxRecords: 100_000, MaxBytes: 32 << 20, MaxWait: 100 * time.Millisecond})
			if err != nil {
				return 0, fmt.Errorf("bench: sink %s: %w", topic, err)
			}
			if len(recs) == 0 {
				empty++
				continue
			}
			n += len(recs)
			next = recs[len(recs)-1].Offset + 1
		}
	}
	return n, nil
}
