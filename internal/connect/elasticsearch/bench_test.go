package elasticsearch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/elasticsearch"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// Both sides of BenchmarkShippedOrders send the same bulk requests: this
// many documents each, this many in flight, the sink's response filter.
const (
	benchBatch    = 2000
	benchInFlight = 4
	benchFilter   = "errors,items.*.status,items.*.error.type,items.*.error.reason"
)

// BenchmarkShippedOrders indexes b.N records of the tutorial's
// shipped_orders shape through the sink task and, in the same run, the
// same documents through the Bulk API driven by a plain loader: the
// engine's ceiling. Run it as
//
//	go test -run '^$' -bench ShippedOrders -benchtime 1000000x ./internal/connect/elasticsearch/
//
// The two are made to do the same work: the same bytes per document (key
// column first, external version = offset), bulk requests of 2,000, 4 in
// flight, the same response filter_path, and a fresh index per round with
// the same settings (1 shard, no replica, default refresh) and the
// sink's own mapping. A warm-up round of each comes first (JIT, caches,
// connections); then SLUICE_ES_BENCH_ROUNDS (default 3) rounds of each,
// alternating sink and loader so that drift in the machine's load hits
// both. The medians are reported:
//
//   - sink-docs/s, direct-docs/s and sink/direct (wall clock, bounded by
//     the engine on the same machine);
//   - sink-docs/cpu-s: documents per second of this process's CPU while
//     the sink runs, its cost per core (records are made by a goroutine
//     of their own, as the runtime's fetch would, and counted in it);
//   - sink- and direct-docs/engine-cpu-s: documents per second of the
//     search node's CPU, the same for both when the sink asks nothing
//     more of the engine than the loader does.
//
// The sink flushes once per round, so its requests pipeline as the
// loader's do; the runtime flushing after every fetch is a separate cost.
func BenchmarkShippedOrders(b *testing.B) {
	url := testsvc.Search(b)
	rounds := 3
	if s := os.Getenv("SLUICE_ES_BENCH_ROUNDS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			rounds = n
		}
	}
	index := func(name string) string { return benchTopic(b, url, name) }
	mapping := sinkMapping(b, url, index("bench_mapping"))
	fresh := func(name string) {
		body := `{"settings":{"number_of_shards":1,"number_of_replicas":0},"mappings":` + mapping + `}`
		var err error
		// On a loaded machine a delete can time out and land later, so
		// the pair is retried until the create succeeds.
		for try := 0; try < 10; try++ {
			del(url, name)
			if err = httpDo(http.MethodPut, url+"/"+name+"?wait_for_active_shards=1", body); err == nil {
				return
			}
			time.Sleep(time.Second)
		}
		b.Fatal(err)
	}
	sinkTopic, directIdx := index("bench_sink"), index("bench_direct")
	runSink := func(n int) (time.Duration, time.Duration) {
		fresh(sinkTopic)
		return benchSink(b, url, sinkTopic, n)
	}
	runDirect := func(n int) time.Duration {
		fresh(directIdx)
		return benchDirect(b, url, directIdx, n)
	}
	engine := engineClock(b)
	warm := min(b.N, 100_000)
	runSink(warm)
	runDirect(warm)
	var sink, direct, cpu, pairs, sinkEng, directEng []float64
	b.ResetTimer()
	for r := 0; r < rounds; r++ {
		e0 := engine()
		w, c := runSink(b.N)
		e1 := engine()
		d := runDirect(b.N)
		e2 := engine()
		if e1 > e0 && e2 > e1 {
			sinkEng = append(sinkEng, float64(b.N)/(e1-e0).Seconds())
			directEng = append(directEng, float64(b.N)/(e2-e1).Seconds())
		}
		if got := count(b, url, elasticsearch.IndexName(sinkTopic)); got != b.N {
			b.Fatalf("sink index holds %d documents, want %d", got, b.N)
		}
		if got := count(b, url, directIdx); got != b.N {
			b.Fatalf("direct index holds %d documents, want %d", got, b.N)
		}
		s, dr := float64(b.N)/w.Seconds(), float64(b.N)/d.Seconds()
		sink, direct, pairs = append(sink, s), append(direct, dr), append(pairs, s/dr)
		if c > 0 {
			cpu = append(cpu, float64(b.N)/c.Seconds())
		}
		b.Logf("round %d: sink %.0f docs/s (%.0f docs/cpu-s), direct %.0f docs/s, ratio %.2f; engine CPU %v for the sink, %v for the loader",
			r+1, s, float64(b.N)/c.Seconds(), dr, s/dr, e1-e0, e2-e1)
	}
	b.StopTimer()
	b.ReportMetric(median(sink), "sink-docs/s")
	b.ReportMetric(median(direct), "direct-docs/s")
	b.ReportMetric(median(sink)/median(direct), "sink/direct")
	b.ReportMetric(median(pairs), "median-pair-ratio")
	if len(cpu) > 0 {
		b.ReportMetric(median(cpu), "sink-docs/cpu-s")
	}
	if len(sinkEng) > 0 {
		b.ReportMetric(median(sinkEng), "sink-docs/engine-cpu-s")
		b.ReportMetric(median(directEng), "direct-docs/engine-cpu-s")
	}
}

// engineClock returns a reader of the search node's CPU time (user and
// system, from /proc), or of zero where that is not readable. Documents
// per engine CPU-second say whether the sink makes the engine do more
// work per document than the loader, independently of the machine's load.
func engineClock(b *testing.B) func() time.Duration {
	sts, err := testsvc.Status(context.Background(), testsvc.Options{}, testsvc.SearchName)
	if err != nil || sts[testsvc.SearchName] == nil {
		return func() time.Duration { return 0 }
	}
	stat := fmt.Sprintf("/proc/%d/stat", sts[testsvc.SearchName].PID)
	return func() time.Duration {
		data, err := os.ReadFile(stat)
		if err != nil {
			return 0
		}
		// Fields 14 and 15 (utime, stime) follow the command in
		// parentheses, in clock ticks of 10 ms.
		rest := data[bytes.LastIndexByte(data, ')')+2:]
		f := bytes.Fields(rest)
		if len(f) < 13 {
			return 0
		}
		u, _ := strconv.ParseInt(string(f[11]), 10, 64)
		s, _ := strconv.ParseInt(string(f[12]), 10, 64)
		return time.Duration(u+s) * 10 * time.Millisecond
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// sinkMapping lets a sink task create an index from the shipped_orders
// schema and returns the mapping it made, so that the loader's index
// gets exactly the same one.
func sinkMapping(b *testing.B, url, tp string) string {
	task := startBenchTask(b, url, tp)
	defer task.Stop()
	ctx := context.Background()
	if err := task.Put(ctx, []*connect.Record{syntheticShipped(0).record(tp, 1)}); err != nil {
		b.Fatal(err)
	}
	if err := task.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	var m map[string]struct {
		Mappings any `json:"mappings"`
	}
	httpGet(b, url+"/"+elasticsearch.IndexName(tp)+"/_mapping", &m)
	out, err := json.Marshal(m[elasticsearch.IndexName(tp)].Mappings)
	if err != nil {
		b.Fatal(err)
	}
	return string(out)
}

func startBenchTask(b *testing.B, url, tp string) connect.SinkTask {
	cfg, err := testSpec.Validate(map[string]string{
		"connection.url": url, "topics": tp, "batch.size": strconv.Itoa(benchBatch),
		"max.in.flight.requests": strconv.Itoa(benchInFlight), "linger.ms": "100",
	})
	if err != nil {
		b.Fatal(err)
	}
	task, err := elasticsearch.NewTask(cfg, connect.Env{Name: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	if err := task.Start(context.Background(), &sinkContext{log: discard()}); err != nil {
		b.Fatal(err)
	}
	return task
}

// benchSink puts n records through a new task and flushes once, returning
// the wall time and this process's CPU time from the first Put to the
// end of the flush.
func benchSink(b *testing.B, url, tp string, n int) (wall, cpu time.Duration) {
	task := startBenchTask(b, url, tp)
	defer task.Stop()
	ctx := context.Background()
	// Records are made ahead by their own goroutine, as the runtime's
	// fetch and conversion would make them, in chunks of the runtime's
	// fetch size.
	chunks := make(chan []*connect.Record, 4)
	start := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(chunks)
		<-start
		for i := 0; i < n; {
			recs := make([]*connect.Record, 0, 1000)
			for j := 0; j < 1000 && i < n; j++ {
				recs = append(recs, syntheticShipped(i).record(tp, int64(i+1)))
				i++
			}
			chunks <- recs
		}
	})
	defer wg.Wait()
	cpu0, t0 := cpuTime(), time.Now()
	close(start)
	for recs := range chunks {
		if err := task.Put(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	if err := task.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0), cpuTime() - cpu0
}

// benchDirect indexes n documents with a plain bulk loader: one goroutine
// writes request bodies (appends, no reflection) and benchInFlight
// goroutines post them over kept-alive connections.
func benchDirect(b *testing.B, url, index string, n int) time.Duration {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = benchInFlight
	hc := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	bodies := make(chan []byte, benchInFlight)
	free := make(chan []byte, 2*benchInFlight)
	for range cap(free) {
		free <- make([]byte, 0, 1<<20)
	}
	errs := make(chan error, benchInFlight+1)
	var wg sync.WaitGroup
	t0 := time.Now()
	wg.Go(func() {
		defer close(bodies)
		for i := 0; i < n; {
			body := (<-free)[:0]
			for j := 0; j < benchBatch && i < n; j++ {
				body = appendDirect(body, index, i)
				i++
			}
			bodies <- body
		}
	})
	for range benchInFlight {
		wg.Go(func() {
			for body := range bodies {
				resp, err := hc.Post(url+"/_bulk?filter_path="+benchFilter, "application/json", bytes.NewReader(body))
				free <- body
				if err != nil {
					errs <- err
					continue
				}
				out, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !bytes.Contains(out, []byte(`"errors":false`)) {
					errs <- fmt.Errorf("bulk: %.300s", out)
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(t0)
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
	return d
}

// appendDirect writes document i's action and source lines exactly as
// the sink writes them.
func appendDirect(b []byte, index string, i int) []byte {
	s := syntheticShipped(i)
	b = append(b, `{"index":{"_index":"`...)
	b = append(b, index...)
	b = append(b, `","_id":"`...)
	b = append(b, s.order...)
	b = append(b, `","version":`...)
	b = strconv.AppendInt(b, int64(i+1), 10)
	b = append(b, `,"version_type":"external"}}`+"\n"+`{"O_ORDER_ID":"`...)
	b = append(b, s.order...)
	b = append(b, `","SHIPMENT_ID":"`...)
	b = append(b, s.shipment...)
	b = append(b, `","CUSTOMER_ID":"`...)
	b = append(b, s.customer...)
	b = append(b, `","CUSTOMER_NAME":"`...)
	b = append(b, s.name...)
	b = append(b, `","CUSTOMER_AGE":`...)
	b = strconv.AppendInt(b, int64(s.age), 10)
	b = append(b, `,"ORIGIN":"`...)
	b = append(b, s.origin...)
	b = append(b, `","PRICE":`...)
	b = appendJavaDouble(b, s.price)
	b = append(b, `,"CURRENCY":"`...)
	b = append(b, s.currency...)
	return append(b, "\"}\n"...)
}

// appendJavaDouble writes a price as the sink does (Jackson's form: an
// integral value keeps ".0").
func appendJavaDouble(b []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		b = strconv.AppendFloat(b, f, 'f', -1, 64)
		return append(b, ".0"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
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
	del(url, name)
	b.Cleanup(func() { del(url, name) })
	return name
}

func del(url, index string) {
	req, _ := http.NewRequest(http.MethodDelete, url+"/"+index, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
}

func httpDo(method, url, body string) error {
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, url, resp.StatusCode, out)
	}
	return nil
}
