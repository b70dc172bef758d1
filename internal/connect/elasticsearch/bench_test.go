package elasticsearch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/elasticsearch"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// BenchmarkIndexShippedOrders indexes b.N records of the tutorial's
// shipped_orders shape through the sink task, and the same documents
// through the Bulk API driven directly by a plain loader with the same
// batch size and concurrency: the engine's ceiling. Run it with
// -benchtime=1000000x for the figures in the notes. docs/s is wall-clock
// throughput; docs/cpu-s is records per second of this process's CPU, the
// sink's own cost (the search node runs on the same machine).
func BenchmarkIndexShippedOrders(b *testing.B) {
	url := testsvc.Search(b)
	const batch, inFlight = 2000, 4
	// The runtime today flushes after every fetch of up to 1,000 records;
	// Kafka Connect flushes every offset.flush.interval.ms. Both cadences
	// are measured.
	for _, every := range []int{100_000, 1000} {
		b.Run(fmt.Sprintf("sink/flush=%d", every), func(b *testing.B) { benchSink(b, url, every, batch, inFlight) })
	}
	b.Run("direct", func(b *testing.B) {
		idx := elasticsearch.IndexName(benchTopic(b, url, "bench_direct"))
		// The bodies are built before the clock starts: the loader only
		// sends, which is the most the engine can take.
		var bodies [][]byte
		var buf bytes.Buffer
		for i := 0; i < b.N; i++ {
			s := syntheticShipped(i)
			// The same external version the sink sends, so both make
			// the engine do the same work.
			fmt.Fprintf(&buf, `{"index":{"_index":%q,"_id":%q,"version":%d,"version_type":"external"}}`+"\n", idx, s.order, i+1)
			doc, _ := json.Marshal(map[string]any{"O_ORDER_ID": s.order, "SHIPMENT_ID": s.shipment, "CUSTOMER_ID": s.customer,
				"CUSTOMER_NAME": s.name, "CUSTOMER_AGE": s.age, "ORIGIN": s.origin, "PRICE": s.price, "CURRENCY": s.currency})
			buf.Write(doc)
			buf.WriteByte('\n')
			if (i+1)%batch == 0 || i == b.N-1 {
				bodies = append(bodies, bytes.Clone(buf.Bytes()))
				buf.Reset()
			}
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = inFlight
		hc := &http.Client{Transport: tr}
		work := make(chan []byte)
		var wg sync.WaitGroup
		errs := make(chan error, inFlight)
		b.ResetTimer()
		cpu0, t0 := cpuTime(), time.Now()
		for range inFlight {
			wg.Go(func() {
				for body := range work {
					resp, err := hc.Post(url+"/_bulk?filter_path=errors", "application/x-ndjson", bytes.NewReader(body))
					if err != nil {
						errs <- err
						return
					}
					out, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if !bytes.Contains(out, []byte(`"errors":false`)) {
						errs <- fmt.Errorf("bulk: %s", out)
						return
					}
				}
			})
		}
		for _, body := range bodies {
			work <- body
		}
		close(work)
		wg.Wait()
		report(b, t0, cpu0)
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}
	})
}

func report(b *testing.B, t0 time.Time, cpu0 time.Duration) {
	b.StopTimer()
	wall, cpu := time.Since(t0), cpuTime()-cpu0
	b.ReportMetric(float64(b.N)/wall.Seconds(), "docs/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "docs/cpu-s")
	}
}

// cpuTime is this process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchTopic is a topic whose index is deleted before and after b.
func benchTopic(b *testing.B, url, name string) string {
	del := func() {
		req, _ := http.NewRequest(http.MethodDelete, url+"/"+name, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	del()
	b.Cleanup(del)
	return name
}

// benchSink puts b.N records through a task, flushing every flushEvery.
func benchSink(b *testing.B, url string, flushEvery, batch, inFlight int) {
	tp := benchTopic(b, url, "bench_sink")
	cfg, err := testSpec.Validate(map[string]string{
		"connection.url": url, "topics": tp, "batch.size": fmt.Sprint(batch),
		"max.in.flight.requests": fmt.Sprint(inFlight), "linger.ms": "100",
	})
	if err != nil {
		b.Fatal(err)
	}
	task, err := elasticsearch.NewTask(cfg, connect.Env{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := task.Start(ctx, &sinkContext{log: discard()}); err != nil {
		b.Fatal(err)
	}
	defer task.Stop()
	// The index (and its mapping) exists before the clock starts, as
	// it does for the direct loader.
	if err := task.Put(ctx, []*connect.Record{syntheticShipped(1<<30).record(tp, 0)}); err != nil {
		b.Fatal(err)
	}
	if err := task.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	recs := make([]*connect.Record, 0, 1000)
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	for i := 0; i < b.N; {
		b.StopTimer()
		recs = recs[:0]
		for j := 0; j < 1000 && i < b.N; j++ {
			recs = append(recs, syntheticShipped(i).record(tp, int64(i+1)))
			i++
		}
		b.StartTimer()
		if err := task.Put(ctx, recs); err != nil {
			b.Fatal(err)
		}
		if i%flushEvery == 0 {
			if err := task.Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := task.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	report(b, t0, cpu0)
	if b.N >= 1000 {
		if n := count(b, url, elasticsearch.IndexName(tp)); n != b.N+1 {
			b.Fatalf("index holds %d documents, want %d", n, b.N+1)
		}
	}
}
