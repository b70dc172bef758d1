package bench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// The change-capture benchmark runs Sluice's PostgreSQL connector and
// Debezium's PostgresConnector on Kafka Connect against the same database,
// with the same connector config and the same pgbench-style workload, one
// after the other, and measures for each:
//
//   - throughput: the connector is paused, a backlog of changes is
//     committed, and the clock runs from resume until the last change is
//     in the log (Sluice's embedded log; Kafka for Debezium);
//   - latency: changes are committed at a steady rate (10,000/s by
//     default) and each one's latency is the time from its commit
//     (source.ts_ms) to its being in the log.

// The workload follows pgbench's TPC-B-like transaction on its tables:
// each pgbench transaction updates one account's balance and appends a
// history row. The benchmark commits them in groups (one SQL statement
// per group) so that the database, not a Go client's round trips, sets
// the pace. pgbench_history gets a primary key, which pgbench leaves out,
// so that both connectors key its records.
const pgbenchSchema = `
CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL, filler char(84));
INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, 100000) g;
CREATE TABLE pgbench_history (hid bigserial PRIMARY KEY, tid int, bid int, aid int, delta int, mtime timestamp, filler char(22));
`

const pgbenchAccounts = 100000

// pgbenchGroup runs $1 pgbench transactions' changes in one transaction:
// $1 distinct accounts (7919 is prime to the account count) get a delta
// and $1 history rows record it, 2*$1 changes in all.
const pgbenchGroup = `
WITH d AS (
  SELECT (($2::bigint + g * 7919) % 100000)::int + 1 AS aid, (g * 37 % 10001) - 5000 AS delta
  FROM generate_series(1, $1) g),
u AS (
  UPDATE pgbench_accounts a SET abalance = a.abalance + d.delta FROM d WHERE a.aid = d.aid
  RETURNING d.aid, d.delta)
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime, filler)
SELECT aid % 10 + 1, 1, aid, delta, now(), '' FROM u`

// pgbenchTables are the captured tables, as table.include.list names them.
var pgbenchTables = []string{"public.pgbench_accounts", "public.pgbench_history"}

// PGOptions configures a capture benchmark run.
type PGOptions struct {
	// Host, Port, User, Password and DB name the database; it must be
	// empty (the run creates the tables).
	Host     string
	Port     int
	User     string
	Password string
	DB       string
	// Dir is scratch space for the run (Sluice's log, the Connect
	// worker's files).
	Dir string
	// Changes is the backlog size of the throughput run.
	Changes int
	// Warmup changes are captured, and not measured, first: the JVM's
	// JIT compiles Debezium's hot paths during the first tens of
	// thousands, and both systems grow their buffers.
	Warmup int
	// Rates and LatencyFor shape the latency runs: changes per second
	// of each, and how long each one commits changes.
	Rates      []int
	LatencyFor time.Duration
}

// dsn is a pgx connection string for the database.
func (o PGOptions) dsn() string {
	return fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", o.User, o.Password, o.Host, o.Port, o.DB)
}

// connectorConfig is the config both systems run, as a user would write
// it for Debezium. poll.interval.ms is lowered from Debezium's 500 ms,
// which would otherwise hold each of its batches for up to half a second
// at a moderate rate, to what a latency-minded deployment sets.
func (o PGOptions) connectorConfig(prefix, slot string) map[string]string {
	return map[string]string{
		"connector.class":             "io.debezium.connector.postgresql.PostgresConnector",
		"tasks.max":                   "1",
		"database.hostname":           o.Host,
		"database.port":               strconv.Itoa(o.Port),
		"database.user":               o.User,
		"database.password":           o.Password,
		"database.dbname":             o.DB,
		"topic.prefix":                prefix,
		"plugin.name":                 "pgoutput",
		"slot.name":                   slot,
		"publication.name":            slot,
		"publication.autocreate.mode": "filtered",
		"table.include.list":          pgbenchTables[0] + "," + pgbenchTables[1],
		"snapshot.mode":               "no_data",
		"poll.interval.ms":            "50",
	}
}

// topics are the connector's output topics for prefix.
func topics(prefix string) []string {
	out := make([]string, len(pgbenchTables))
	for i, t := range pgbenchTables {
		out[i] = prefix + "." + t
	}
	return out
}

// CaptureResult is what one system measured.
type CaptureResult struct {
	System string `json:"system"`
	// Changes, Seconds and PerSec describe the throughput run.
	Changes int     `json:"changes"`
	Seconds float64 `json:"seconds"`
	PerSec  float64 `json:"changes_per_s"`
	// CPUSec is the capturing process's CPU time during the throughput
	// run (Sluice's own process; the Connect worker's JVM), and PerCore
	// the changes per CPU-second. Kafka's broker is not counted.
	CPUSec  float64 `json:"cpu_s"`
	PerCore float64 `json:"changes_per_core_s"`
	// WalsenderCPUSec is the CPU time of the PostgreSQL walsender that
	// decoded the backlog for the connector during the throughput run.
	WalsenderCPUSec float64 `json:"walsender_cpu_s"`
	// Latency has one run per rate of PGOptions.Rates.
	Latency []LatencyRun `json:"latency"`
}

// LatencyRun is one latency run: the rate asked for and achieved, and
// the commit-to-log percentiles in ms.
type LatencyRun struct {
	Rate     int     `json:"rate"`
	Achieved float64 `json:"achieved_rate"`
	Changes  int     `json:"changes"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
}

func (r CaptureResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d changes in %.2fs = %.0f changes/s (%.0f per CPU-s; %.2f CPU-s, walsender %.2f CPU-s)",
		r.System, r.Changes, r.Seconds, r.PerSec, r.PerCore, r.CPUSec, r.WalsenderCPUSec)
	for _, l := range r.Latency {
		fmt.Fprintf(&b, "; latency at %d changes/s (%.0f achieved, %d changes): p50 %.1f ms, p99 %.1f ms, max %.1f ms",
			l.Rate, l.Achieved, l.Changes, l.P50, l.P99, l.Max)
	}
	return b.String()
}

// p99At returns the p99 of the latency run at rate, or -1.
func (r CaptureResult) p99At(rate int) float64 {
	for _, l := range r.Latency {
		if l.Rate == rate {
			return l.P99
		}
	}
	return -1
}

// setupPGBench creates the workload's tables.
func setupPGBench(ctx context.Context, o PGOptions) error {
	conn, err := pgx.Connect(ctx, o.dsn())
	if err != nil {
		return fmt.Errorf("bench: connect to %s: %w", o.DB, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, pgbenchSchema); err != nil {
		return fmt.Errorf("bench: pgbench tables: %w", err)
	}
	return nil
}

// pgWriter commits the workload's groups.
type pgWriter struct {
	conn *pgx.Conn
	rng  *rand.Rand
}

func newPGWriter(ctx context.Context, o PGOptions) (*pgWriter, error) {
	conn, err := pgx.Connect(ctx, o.dsn())
	if err != nil {
		return nil, fmt.Errorf("bench: connect to %s: %w", o.DB, err)
	}
	return &pgWriter{conn: conn, rng: rand.New(rand.NewPCG(7, 11))}, nil
}

func (w *pgWriter) close() { w.conn.Close(context.Background()) }

// group commits k pgbench transactions' worth of changes (2k).
func (w *pgWriter) group(ctx context.Context, k int) error {
	tag, err := w.conn.Exec(ctx, pgbenchGroup, k, w.rng.IntN(pgbenchAccounts))
	if err != nil {
		return fmt.Errorf("bench: pgbench group: %w", err)
	}
	if tag.RowsAffected() != int64(k) {
		return fmt.Errorf("bench: pgbench group of %d wrote %d history rows", k, tag.RowsAffected())
	}
	return nil
}

// backlog commits n changes (rounded up to whole groups of 200) as fast
// as it can and returns how many it committed.
func (w *pgWriter) backlog(ctx context.Context, n int) (int, error) {
	const k = 100
	done := 0
	for done < n {
		if err := w.group(ctx, k); err != nil {
			return done, err
		}
		done += 2 * k
	}
	return done, nil
}

// paced commits groups of 100 changes on a fixed schedule for rate
// changes per second during d, and returns the changes committed and the
// rate achieved. It catches up after a late group rather than drifting.
func (w *pgWriter) paced(ctx context.Context, rate int, d time.Duration) (int, float64, error) {
	const k = 50
	interval := time.Duration(float64(time.Second) * 2 * k / float64(rate))
	start := time.Now()
	n := 0
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= d {
			break
		}
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		if err := w.group(ctx, k); err != nil {
			return n, 0, err
		}
		n += 2 * k
	}
	return n, float64(n) / time.Since(start).Seconds(), nil
}

// warmUp commits o.Warmup changes while the connector runs and waits
// until they are in the log.
func warmUp(ctx context.Context, system string, o PGOptions, w *pgWriter, count func(context.Context) (int64, error)) error {
	if o.Warmup <= 0 {
		return nil
	}
	before, err := count(ctx)
	if err != nil {
		return fmt.Errorf("bench: %s: %w", system, err)
	}
	n, err := w.backlog(ctx, o.Warmup)
	if err != nil {
		return err
	}
	return waitFor(ctx, system+" warm-up", before+int64(n), 10*time.Minute, count)
}

// latencies collects commit-to-log latencies from several readers.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d ...time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

// take puts the percentiles of what was collected into r and starts
// collecting afresh.
func (l *latencies) take(system string, r *LatencyRun) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	all := l.all
	l.all = nil
	if len(all) == 0 {
		return fmt.Errorf("bench: %s: no latencies measured at %d changes/s", system, r.Rate)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[int(p*float64(len(all)-1))]) / float64(time.Millisecond)
	}
	r.P50, r.P99, r.Max = pct(0.50), pct(0.99), pct(1)
	return nil
}

// latencyRuns commits changes at each of o.Rates in turn while readers
// put what they see into lats, and measures each run. count tells how
// many records the log holds.
func latencyRuns(ctx context.Context, system string, o PGOptions, w *pgWriter, lats *latencies, count func(context.Context) (int64, error)) ([]LatencyRun, error) {
	var out []LatencyRun
	for _, rate := range o.Rates {
		before, err := count(ctx)
		if err != nil {
			return out, fmt.Errorf("bench: %s: %w", system, err)
		}
		lats.take(system, &LatencyRun{}) // drop anything seen before
		run := LatencyRun{Rate: rate}
		if run.Changes, run.Achieved, err = w.paced(ctx, rate, o.LatencyFor); err != nil {
			return out, err
		}
		if err := waitFor(ctx, fmt.Sprintf("%s latency run at %d changes/s", system, rate), before+int64(run.Changes), time.Minute, count); err != nil {
			return out, err
		}
		time.Sleep(200 * time.Millisecond) // the readers' last fetch
		if err := lats.take(system, &run); err != nil {
			return out, err
		}
		out = append(out, run)
	}
	return out, nil
}

// waitFor polls count until it reaches n or the timeout passes.
func waitFor(ctx context.Context, what string, n int64, timeout time.Duration, count func(context.Context) (int64, error)) error {
	deadline := time.Now().Add(timeout)
	var got int64
	var err error
	for {
		got, err = count(ctx)
		if err == nil && got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %s: %d of %d records after %v (last error: %v)", what, got, n, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// waitSlotActive waits until a walsender streams from slot.
func waitSlotActive(ctx context.Context, o PGOptions, slot string, timeout time.Duration) error {
	conn, err := pgx.Connect(ctx, o.dsn())
	if err != nil {
		return fmt.Errorf("bench: connect to %s: %w", o.DB, err)
	}
	defer conn.Close(context.Background())
	deadline := time.Now().Add(timeout)
	for {
		var active bool
		err := conn.QueryRow(ctx, `SELECT active FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&active)
		if err == nil && active {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: replication slot %s not active after %v (last error: %v)", slot, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dropSlot drops slot once its walsender has let go of it.
func dropSlot(ctx context.Context, o PGOptions, slot string) error {
	conn, err := pgx.Connect(ctx, o.dsn())
	if err != nil {
		return fmt.Errorf("bench: connect to %s: %w", o.DB, err)
	}
	defer conn.Close(context.Background())
	for attempt := 0; ; attempt++ {
		_, err = conn.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, slot)
		if err == nil || attempt == 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("bench: drop slot %s: %w", slot, err)
	}
	return nil
}

// procCPU is a process's user+system CPU time so far.
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("bench: CPU time of %d: %w", pid, err)
	}
	// utime and stime are the 14th and 15th fields; the command name
	// before them may hold spaces, so count from the last ')'.
	i := bytes.LastIndexByte(data, ')')
	f := strings.Fields(string(data[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("bench: CPU time of %d: malformed stat", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

// startWalsenderCPU waits for slot's walsender and returns a function
// giving its CPU time from now. The walsender runs on this machine (the
// test services' cluster is local); if it cannot be read the figure is 0.
func startWalsenderCPU(ctx context.Context, o PGOptions, slot string) (func() float64, error) {
	conn, err := pgx.Connect(ctx, o.dsn())
	if err != nil {
		return nil, fmt.Errorf("bench: connect to %s: %w", o.DB, err)
	}
	defer conn.Close(context.Background())
	var pid int
	for deadline := time.Now().Add(time.Minute); ; {
		err := conn.QueryRow(ctx, `SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL`, slot).Scan(&pid)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("bench: no walsender for slot %s: %w", slot, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	c0, err := procCPU(pid)
	if err != nil {
		return func() float64 { return 0 }, nil
	}
	return func() float64 {
		c1, err := procCPU(pid)
		if err != nil {
			return 0
		}
		return (c1 - c0).Seconds()
	}, nil
}
