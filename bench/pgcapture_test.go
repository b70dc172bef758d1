package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/testsvc"
)

var (
	pgChanges  = flag.Int("bench.pgchanges", 300_000, "changes in the capture benchmark's backlog")
	pgWarmup   = flag.Int("bench.pgwarmup", 100_000, "changes captured before the capture benchmark measures")
	pgRate     = flag.Int("bench.pgrate", 10_000, "changes per second in the capture benchmark's main latency run")
	pgLowRate  = flag.Int("bench.pglowrate", 2_000, "changes per second in its second latency run (0: none), one Debezium keeps up with")
	pgLatFor   = flag.Duration("bench.pglatency", 5*time.Second, "length of the capture benchmark's latency run")
	pgDebezium = flag.Bool("bench.debezium", true, "run Debezium on Kafka Connect beside Sluice in the capture benchmark")
)

// pgOptions makes a fresh database on the test services' cluster with
// the pgbench tables.
func pgOptions(t testing.TB) PGOptions {
	t.Helper()
	pg := testsvc.Postgres(t)
	u, err := url.Parse(pg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	o := PGOptions{Host: pg.Host, Port: pg.Port, User: pg.User, Password: pg.Password, DB: strings.TrimPrefix(u.Path, "/"), Dir: t.TempDir()}
	if err := setupPGBench(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return o
}

// TestSluiceCapture runs Sluice's side of the capture benchmark on a small
// workload, so that the benchmark never reports a run that is broken.
func TestSluiceCapture(t *testing.T) {
	o := pgOptions(t)
	o.Changes, o.Warmup, o.Rates, o.LatencyFor = 2000, 1000, []int{2000}, 500*time.Millisecond
	res, err := RunSluiceCapture(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changes != 2000 || res.PerSec <= 0 || len(res.Latency) != 1 || res.Latency[0].Changes < 1000 || res.Latency[0].P99 <= 0 {
		t.Fatalf("missing figures: %+v", res)
	}
}

// BenchmarkPGCapture runs the capture benchmark once per iteration (use
// -benchtime 1x): Sluice, then Debezium on Kafka Connect against the same
// database, and reports both systems' changes/s and p99 latency and the
// ratios. The Debezium side needs Java and Maven (its jars come from
// Maven Central on first use) and the test services' Kafka broker.
func BenchmarkPGCapture(b *testing.B) {
	ctx := context.Background()
	var lib, bootstrap string
	if *pgDebezium {
		root, err := filepath.Abs("..")
		if err != nil {
			b.Fatal(err)
		}
		if lib, err = DebeziumJars(ctx, root); err != nil {
			b.Fatal(err)
		}
		bootstrap = testsvc.Kafka(b)
	}
	for i := 0; i < b.N; i++ {
		o := pgOptions(b)
		o.Changes, o.Warmup, o.Rates, o.LatencyFor = *pgChanges, *pgWarmup, []int{*pgRate}, *pgLatFor
		if *pgLowRate > 0 {
			o.Rates = append(o.Rates, *pgLowRate)
		}
		s, err := RunSluiceCapture(ctx, o)
		if err != nil {
			b.Fatal(err)
		}
		b.Log(s)
		b.ReportMetric(s.PerSec, "sluice-changes/s")
		b.ReportMetric(s.PerCore, "sluice-changes/core-s")
		b.ReportMetric(s.p99At(*pgRate), "sluice-p99-ms")
		if *pgLowRate > 0 {
			b.ReportMetric(s.p99At(*pgLowRate), "sluice-p99-low-ms")
		}
		if !*pgDebezium {
			continue
		}
		var suffix [4]byte
		rand.Read(suffix[:])
		d, err := RunDebeziumCapture(ctx, o, lib, bootstrap, hex.EncodeToString(suffix[:]))
		if err != nil {
			b.Fatal(err)
		}
		b.Log(d)
		b.ReportMetric(d.PerSec, "debezium-changes/s")
		b.ReportMetric(d.PerCore, "debezium-changes/core-s")
		b.ReportMetric(d.p99At(*pgRate), "debezium-p99-ms")
		if *pgLowRate > 0 {
			b.ReportMetric(d.p99At(*pgLowRate), "debezium-p99-low-ms")
		}
		b.ReportMetric(s.PerSec/d.PerSec, "sluice/debezium-rate")
		b.ReportMetric(s.PerCore/d.PerCore, "sluice/debezium-per-core")
	}
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		b.Logf("load average: %s", strings.TrimSpace(string(load)))
	}
}
