package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/postgres"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
)

// RunSluiceCapture measures Sluice's PostgreSQL connector: in-process,
// writing Avro records (the seed's converter, with the embedded schema
// registry) to the embedded log. setupPGBench must have run.
func RunSluiceCapture(ctx context.Context, o PGOptions) (res CaptureResult, err error) {
	res.System = "sluice"
	dir := filepath.Join(o.Dir, "sluice")
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		return res, fmt.Errorf("bench: open log: %w", err)
	}
	defer lg.Close()
	reg, err := registry.Open(ctx, lg, registry.Options{})
	if err != nil {
		return res, fmt.Errorf("bench: open registry: %w", err)
	}
	plugins := connect.NewPlugins()
	postgres.Register(plugins)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rt := connect.NewRuntime(connect.Options{Log: lg, Registry: reg, Plugins: plugins, Logger: logger})
	const name, prefix, slot = "pgbench", "sluice_pgbench", "sluice_pgbench"
	defer func() {
		rt.Close()
		if derr := dropSlot(context.Background(), o, slot); derr != nil && err == nil {
			err = derr
		}
	}()
	if err := rt.Create(ctx, name, false, o.connectorConfig(prefix, slot)); err != nil {
		return res, fmt.Errorf("bench: create connector: %w", err)
	}
	if err := waitSlotActive(ctx, o, slot, time.Minute); err != nil {
		return res, err
	}
	count := func(ctx context.Context) (int64, error) {
		var n int64
		for _, t := range topics(prefix) {
			off, err := lg.ListOffsets(ctx, logstore.TopicPartition{Topic: t})
			if errors.Is(err, logstore.ErrUnknownTopic) {
				continue
			}
			if err != nil {
				return n, err
			}
			n += off.End
		}
		return n, nil
	}

	w, err := newPGWriter(ctx, o)
	if err != nil {
		return res, err
	}
	defer w.close()
	if err := warmUp(ctx, "sluice", o, w, count); err != nil {
		return res, err
	}

	// Throughput: a backlog committed while the task is stopped.
	if err := rt.Pause(ctx, name); err != nil {
		return res, fmt.Errorf("bench: pause: %w", err)
	}
	base, err := count(ctx)
	if err != nil {
		return res, err
	}
	if res.Changes, err = w.backlog(ctx, o.Changes); err != nil {
		return res, err
	}
	cpu0, start := cpuTime(), time.Now()
	if err := rt.Resume(name); err != nil {
		return res, fmt.Errorf("bench: resume: %w", err)
	}
	// The paused task let its walsender go; the resumed one starts a new
	// one, whose CPU is measured from its start.
	ws, err := startWalsenderCPU(ctx, o, slot)
	if err != nil {
		return res, err
	}
	if err := waitFor(ctx, "sluice", base+int64(res.Changes), 10*time.Minute, count); err != nil {
		st, _ := rt.Describe(name)
		return res, fmt.Errorf("%w (connector %s, last error %q)", err, st.State, st.LastError)
	}
	res.WalsenderCPUSec = ws()
	res.Seconds = time.Since(start).Seconds()
	res.CPUSec = (cpuTime() - cpu0).Seconds()
	res.PerSec = float64(res.Changes) / res.Seconds
	res.PerCore = float64(res.Changes) / res.CPUSec

	// Latency: readers follow both topics from their ends and time each
	// record from its commit to when it is readable.
	vc, _ := plugins.Converter("value.converter", connect.AvroConverterClass)
	conv, err := vc.New(nil, connect.ConverterEnv{Registry: reg})
	if err != nil {
		return res, fmt.Errorf("bench: converter: %w", err)
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	lats := &latencies{}
	done := make(chan error, 2)
	for _, t := range topics(prefix) {
		off, err := lg.ListOffsets(ctx, logstore.TopicPartition{Topic: t})
		if err != nil {
			return res, fmt.Errorf("bench: %s: %w", t, err)
		}
		go func() { done <- followSluice(rctx, lg, conv, t, off.End, lats) }()
	}
	res.Latency, err = latencyRuns(ctx, "sluice", o, w, lats, count)
	stop()
	for range 2 {
		if rerr := <-done; rerr != nil && err == nil {
			err = rerr
		}
	}
	return res, err
}

// followSluice reads topic from offset until ctx ends, adding each
// record's commit-to-readable latency to lats.
func followSluice(ctx context.Context, lg logstore.Log, conv connect.Converter, topic string, at int64, lats *latencies) error {
	tp := logstore.TopicPartition{Topic: topic}
	var batch []time.Duration
	for ctx.Err() == nil {
		recs, err := lg.Fetch(ctx, tp, at, logstore.FetchOptions{MaxWait: 20 * time.Millisecond, MaxRecords: 5000})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("bench: fetch %s at %d: %w", topic, at, err)
		}
		now := time.Now()
		batch = batch[:0]
		for _, r := range recs {
			at = r.Offset + 1
			_, v, err := conv.ToConnect(ctx, topic, r.Value)
			if err != nil {
				return fmt.Errorf("bench: %s offset %d: %w", topic, r.Offset, err)
			}
			env, ok := v.(*connect.Struct)
			if !ok {
				return fmt.Errorf("bench: %s offset %d: value is %T, not an envelope", topic, r.Offset, v)
			}
			src, _ := env.Get("source").(*connect.Struct)
			ts, ok := src.Get("ts_ms").(int64)
			if !ok {
				return fmt.Errorf("bench: %s offset %d: no source.ts_ms", topic, r.Offset)
			}
			batch = append(batch, now.Sub(time.UnixMilli(ts)))
		}
		lats.add(batch...)
	}
	return nil
}
