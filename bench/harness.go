package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
)

// Options configures one Run.
type Options struct {
	// Dir holds the run's log and state; it must be empty or absent.
	Dir string
	// Format is the value format of inputs and sink: JSON or AVRO.
	Format string
	// Records is the workload size n.
	Records int
	// DumpDir, when set, receives each input's records (see Dump) so a
	// peer can process the same bytes.
	DumpDir string
	// CPUProfile, when set, is written with a pprof CPU profile of the
	// query's run (not of producing the inputs).
	CPUProfile string
	Logger     *slog.Logger
	// Kafka, when set, runs on that Kafka cluster (host:port,...) instead
	// of the embedded log; see runKafka.
	Kafka string
	// Guarantee is processing.guarantee on Kafka: exactly_once_v2 (the
	// default) or at_least_once.
	Guarantee string
	// CommitInterval is commit.interval.ms on Kafka; zero keeps Sluice's
	// default.
	CommitInterval time.Duration
}

// Result is what one Run measured. Throughput figures cover the query's
// run only: producing the inputs is set up, not measured.
type Result struct {
	Workload string  `json:"workload"`
	Format   string  `json:"format"`
	Records  int     `json:"records"`
	Outputs  int     `json:"outputs"`
	WallSec  float64 `json:"wall_s"`
	CPUSec   float64 `json:"cpu_s"`
	// PerCore is records per CPU-second: what one fully busy core does.
	PerCore    float64 `json:"records_per_core_s"`
	PerWallSec float64 `json:"records_per_s"`
	// AllocsPerRecord and BytesPerRecord are Go heap allocations during
	// the run divided by the records.
	AllocsPerRecord float64 `json:"allocs_per_record"`
	BytesPerRecord  float64 `json:"alloc_bytes_per_record"`
	StateBytes      int64   `json:"state_bytes"`
	LogBytes        int64   `json:"log_bytes"`
	// PeakRSS is the process's high-water mark, so it includes producing
	// the inputs; run one workload per process to attribute it.
	PeakRSS int64 `json:"peak_rss_bytes"`
}

// ErrWrongOutput reports a run whose sink does not hold what a correct
// run writes; its figures would measure the wrong work.
var ErrWrongOutput = errors.New("bench: wrong output count")

// Run assembles an engine in opts.Dir, produces the workload's inputs,
// runs its query until idle and measures it.
func Run(ctx context.Context, w Workload, opts Options) (Result, error) {
	res := Result{Workload: w.Name, Format: opts.Format, Records: w.Records(opts.Records)}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if opts.Kafka != "" {
		return runKafka(ctx, w, opts)
	}
	logDir, stateDir := filepath.Join(opts.Dir, "log"), filepath.Join(opts.Dir, "state")
	lg, err := embedded.Open(logDir, embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		return res, fmt.Errorf("bench: open log: %w", err)
	}
	defer lg.Close()
	sr, err := registry.Open(ctx, lg, registry.Options{})
	if err != nil {
		return res, fmt.Errorf("bench: open registry: %w", err)
	}
	st, err := pebblestore.Open(stateDir, pebblestore.Options{})
	if err != nil {
		return res, fmt.Errorf("bench: open state: %w", err)
	}
	defer st.Close()
	reg := engine.SchemaRegistry(sr)
	eng := engine.New(engine.Options{Log: lg, State: st, Registry: reg, Functions: builtin.New(), Manual: true, Logger: opts.Logger})
	defer eng.Close()

	sess := engine.NewSession()
	if err := declareInputs(ctx, eng, sess, lg, reg, w, opts); err != nil {
		return res, err
	}
	if _, err := eng.Execute(ctx, sess, fmt.Sprintf(w.Query, opts.Format)); err != nil {
		return res, fmt.Errorf("bench: start query: %w", err)
	}

	mt, err := startMeter(opts.CPUProfile)
	if err != nil {
		return res, err
	}
	err = eng.RunUntilIdle(ctx)
	mt.stop(&res)
	if err != nil {
		return res, fmt.Errorf("bench: run %s: %w", w.Name, err)
	}

	out, err := count(ctx, lg, w.Sink)
	if err != nil {
		return res, err
	}
	res.Outputs = out
	res.StateBytes = dirSize(stateDir)
	res.LogBytes = dirSize(logDir)
	if want := w.Want(opts.Records); out != want {
		return res, fmt.Errorf("%w: %s wrote %d records to %s, want %d", ErrWrongOutput, w.Name, out, w.Sink, want)
	}
	return res, nil
}

// declareInputs writes the workload's inputs to the log and declares
// them as sources read from the earliest offset.
func declareInputs(ctx context.Context, eng *engine.Engine, sess *engine.Session, lg logstore.Log, reg format.Registry, w Workload, opts Options) error {
	script := "SET 'auto.offset.reset' = 'earliest';\n"
	for _, in := range w.Inputs {
		if err := produce(ctx, lg, reg, in, opts); err != nil {
			return err
		}
		script += in.ddl(opts.Format) + "\n"
	}
	if _, err := eng.Execute(ctx, sess, script); err != nil {
		return fmt.Errorf("bench: declare inputs: %w", err)
	}
	return nil
}

// produceBatch bounds a produce transaction, so a million records are not
// buffered at once.
const produceBatch = 10000

func produce(ctx context.Context, lg logstore.Log, reg format.Registry, in Input, opts Options) error {
	if err := lg.CreateTopic(ctx, in.Topic, logstore.TopicConfig{Partitions: 1, Replicas: 1}); err != nil {
		return fmt.Errorf("bench: create %s: %w", in.Topic, err)
	}
	f, err := format.New(opts.Format, nil, reg)
	if err != nil {
		return fmt.Errorf("bench: format: %w", err)
	}
	ser, err := f.Serializer(ctx, format.Target{Topic: in.Topic, Columns: in.Columns})
	if err != nil {
		return fmt.Errorf("bench: serializer for %s: %w", in.Topic, err)
	}
	var dump *dumper
	defer func() {
		if dump != nil {
			dump.close()
		}
	}()
	total := in.Count(opts.Records)
	batch := make([]logstore.Record, 0, produceBatch)
	var buf []byte
	for start := 0; start < total; start += produceBatch {
		batch, buf = batch[:0], buf[:0]
		// Values share one buffer per batch; Produce copies nothing, so
		// the buffer is only reused after Commit.
		var rows [][2]int
		for i := start; i < min(start+produceBatch, total); i++ {
			k, row, ts := in.Record(i)
			from := len(buf)
			buf = append(buf, k...)
			mid := len(buf)
			if buf, err = ser.Serialize(buf, row); err != nil {
				return fmt.Errorf("bench: serialize %s[%d]: %w", in.Topic, i, err)
			}
			rows = append(rows, [2]int{from, mid})
			batch = append(batch, logstore.Record{Timestamp: ts})
		}
		// The dump starts after the first batch is serialized, once the
		// serializer has registered the Avro schema it writes with.
		if opts.DumpDir != "" && dump == nil {
			if dump, err = newDumper(ctx, opts.DumpDir, in, opts.Format, reg); err != nil {
				return err
			}
		}
		for j := range batch {
			from, mid := rows[j][0], rows[j][1]
			end := len(buf)
			if j+1 < len(rows) {
				end = rows[j+1][0]
			}
			batch[j].Key, batch[j].Value = buf[from:mid:mid], buf[mid:end:end]
			if dump != nil {
				if err := dump.write(batch[j]); err != nil {
					return err
				}
			}
		}
		txn, err := lg.Begin(ctx, "")
		if err != nil {
			return fmt.Errorf("bench: produce %s: %w", in.Topic, err)
		}
		if err := txn.Produce(ctx, in.Topic, batch...); err != nil {
			return fmt.Errorf("bench: produce %s: %w", in.Topic, err)
		}
		if _, err := txn.Commit(ctx); err != nil {
			return fmt.Errorf("bench: produce %s: %w", in.Topic, err)
		}
		buf = nil
	}
	if dump != nil {
		err, dump = dump.close(), nil
		return err
	}
	return nil
}

func count(ctx context.Context, lg logstore.Log, topic string) (int, error) {
	info, err := lg.DescribeTopic(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("bench: sink %s: %w", topic, err)
	}
	n := 0
	for p := range info.Partitions {
		offs, err := lg.ListOffsets(ctx, logstore.TopicPartition{Topic: topic, Partition: p})
		if err != nil {
			return 0, fmt.Errorf("bench: sink %s: %w", topic, err)
		}
		n += int(offs.End - offs.Start)
	}
	return n, nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is ru_maxrss, which Linux reports in KiB.
func peakRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if info, err := d.Info(); err == nil {
			n += info.Size()
		}
		return nil
	})
	return n
}

// meter measures one timed run the same way for every backend: wall and
// CPU time, allocations, peak RSS, and an optional CPU profile.
type meter struct {
	m0   runtime.MemStats
	cpu0 time.Duration
	t0   time.Time
	prof *os.File
}

func startMeter(profile string) (*meter, error) {
	runtime.GC()
	mt := &meter{}
	runtime.ReadMemStats(&mt.m0)
	mt.cpu0 = cpuTime()
	mt.t0 = time.Now()
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return nil, fmt.Errorf("bench: cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("bench: cpu profile: %w", err)
		}
		mt.prof = f
	}
	return mt, nil
}

// stop ends the measurement and fills res's times and per-record rates
// for res.Records.
func (mt *meter) stop(res *Result) {
	if mt.prof != nil {
		pprof.StopCPUProfile()
		mt.prof.Close()
	}
	wall := time.Since(mt.t0)
	cpu := cpuTime() - mt.cpu0
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	res.WallSec, res.CPUSec = wall.Seconds(), cpu.Seconds()
	n := float64(res.Records)
	res.PerCore = n / res.CPUSec
	res.PerWallSec = n / res.WallSec
	res.AllocsPerRecord = float64(m1.Mallocs-mt.m0.Mallocs) / n
	res.BytesPerRecord = float64(m1.TotalAlloc-mt.m0.TotalAlloc) / n
	res.PeakRSS = peakRSS()
}
