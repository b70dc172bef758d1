package postgres_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/logstore"
)

// pgbench-style rows: pgbench_history's shape.
const benchTable = `CREATE TABLE history (id bigserial PRIMARY KEY, tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))`

func insertRows(b testing.TB, conn *pgx.Conn, n, perTxn int) {
	ctx := context.Background()
	for done := 0; done < n; done += perTxn {
		k := min(perTxn, n-done)
		if _, err := conn.Exec(ctx, `INSERT INTO history (tid, bid, aid, delta, mtime, filler)
			SELECT g % 10, g % 100, g, (g * 7) % 5000 - 2500, now(), 'filler' FROM generate_series(1, $1) g`, k); err != nil {
			b.Fatal(err)
		}
	}
}

func waitEnd(b testing.TB, l logstore.Log, topic string, n int64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		o, err := l.ListOffsets(context.Background(), logstore.TopicPartition{Topic: topic})
		if err == nil && o.End >= n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("topic %s: %d of %d records after %v", topic, o.End, n, timeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// BenchmarkCapture measures changes/s from a WAL backlog to committed,
// Avro-encoded records in the log: the slot is created, the connector
// paused, b.N rows inserted, and the timer runs from resume until the last
// record is in the log.
func BenchmarkCapture(b *testing.B) {
	e := newEnv(b)
	e.exec(benchTable)
	e.create("bench", e.config())
	waitRunning(b, e.rt, "bench")
	if err := e.rt.Pause(context.Background(), "bench"); err != nil {
		b.Fatal(err)
	}
	insertRows(b, e.db, b.N, 1000)
	b.ResetTimer()
	start := time.Now()
	if err := e.rt.Resume("bench"); err != nil {
		b.Fatal(err)
	}
	waitEnd(b, e.log, "srv.public.history", int64(b.N), 5*time.Minute)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "changes/s")
}

func waitRunning(b testing.TB, rt *connect.Runtime, name string) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := rt.Describe(name)
		if err == nil && st.State == connect.Running {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("connector %s not running: %+v", name, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkLatency commits 100-row transactions at 10,000 changes/s for a
// few seconds and reports the commit → readable-in-the-log latency
// percentiles (commit time from the change's source.ts_ms).
func BenchmarkLatency(b *testing.B) {
	e := newEnv(b)
	e.exec(benchTable)
	e.create("lat", e.config())
	waitRunning(b, e.rt, "lat")
	const rate, perTxn = 10000, 100
	dur := 3 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lats := make(chan []time.Duration, 1)
	plugins := connect.NewPlugins()
	vc, _ := plugins.Converter("value.converter", connect.AvroConverterClass)
	conv, err := vc.New(nil, connect.ConverterEnv{Registry: e.reg})
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		var out []time.Duration
		tp := logstore.TopicPartition{Topic: "srv.public.history"}
		var at int64
		for ctx.Err() == nil {
			recs, err := e.log.Fetch(ctx, tp, at, logstore.FetchOptions{MaxWait: 20 * time.Millisecond, MaxRecords: 5000})
			if err != nil {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			now := time.Now()
			for _, r := range recs {
				at = r.Offset + 1
				_, v, err := conv.ToConnect(ctx, tp.Topic, r.Value)
				if err != nil {
					continue
				}
				ts := v.(*connect.Struct).Get("source").(*connect.Struct).Get("ts_ms").(int64)
				out = append(out, now.Sub(time.UnixMilli(ts)))
			}
		}
		lats <- out
	}()
	b.ResetTimer()
	tick := time.NewTicker(time.Second * perTxn / rate)
	end := time.Now().Add(dur)
	n := 0
	for time.Now().Before(end) {
		<-tick.C
		insertRows(b, e.db, perTxn, perTxn)
		n += perTxn
	}
	tick.Stop()
	waitEnd(b, e.log, "srv.public.history", int64(n), time.Minute)
	time.Sleep(100 * time.Millisecond)
	cancel()
	out := <-lats
	b.StopTimer()
	if len(out) == 0 {
		b.Fatal("no latencies")
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	pct := func(p float64) float64 { return float64(out[int(p*float64(len(out)-1))]) / 1e6 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(n)/dur.Seconds(), "changes/s")
}
