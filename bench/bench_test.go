package bench

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sluicedb/sluice/internal/format"
)

// benchRecords sizes the Go benchmarks; the tests always use a small n so
// the default `go test ./...` stays fast.
var benchRecords = flag.Int("bench.records", 1_000_000, "records per benchmark workload")

// TestWorkloads runs every workload in both formats on a small input and
// checks each writes exactly what a correct run writes, so a benchmark
// never reports the speed of a wrong answer.
func TestWorkloads(t *testing.T) {
	ctx := context.Background()
	for _, w := range Workloads {
		for _, f := range []string{format.JSON, format.Avro} {
			t.Run(w.Name+"/"+f, func(t *testing.T) {
				dir := t.TempDir()
				res, err := Run(ctx, w, Options{Dir: filepath.Join(dir, "run"), Format: f, Records: 2000, DumpDir: filepath.Join(dir, "dump")})
				if err != nil {
					t.Fatal(err)
				}
				if res.PerCore <= 0 || res.PeakRSS <= 0 || res.LogBytes <= 0 {
					t.Fatalf("missing figures: %+v", res)
				}
			})
		}
	}
}

// BenchmarkWorkloads runs each workload over -bench.records records (a
// million by default) once per iteration; use -benchtime=1x. Besides
// ns/op it reports records per CPU-second, allocations per record, state
// size and peak RSS.
func BenchmarkWorkloads(b *testing.B) {
	ctx := context.Background()
	for _, w := range Workloads {
		for _, f := range []string{format.JSON, format.Avro} {
			b.Run(fmt.Sprintf("%s/%s", w.Name, f), func(b *testing.B) {
				var res Result
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					dir := b.TempDir()
					b.StartTimer()
					var err error
					if res, err = Run(ctx, w, Options{Dir: dir, Format: f, Records: *benchRecords}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(res.PerCore, "rec/core-s")
				b.ReportMetric(res.PerWallSec, "rec/s")
				b.ReportMetric(res.AllocsPerRecord, "allocs/rec")
				b.ReportMetric(float64(res.StateBytes)/(1<<20), "state-MiB")
				b.ReportMetric(float64(res.PeakRSS)/(1<<20), "peak-RSS-MiB")
			})
		}
	}
}
