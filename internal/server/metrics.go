package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series. Per-query series are
// collected from the catalog at scrape time, so a terminated query's series
// disappear with it.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	statements *prometheus.CounterVec
	transient  prometheus.Gauge
}

func newMetrics(reg *prometheus.Registry, s *Server) (*metrics, error) {
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sluice", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests served, by endpoint and status code.",
		}, []string{"endpoint", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "sluice", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to the end of a request; streaming queries count their whole life.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"endpoint"}),
		statements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sluice", Name: "statements_total",
			Help: "Statements executed through /ksql and headless mode, by outcome.",
		}, []string{"outcome"}),
		transient: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "sluice", Name: "transient_queries",
			Help: "Transient push and pull queries running now.",
		}),
	}
	cs := []prometheus.Collector{m.requests, m.latency, m.statements, m.transient,
		&catalogCollector{s: s}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
	if rt := s.opts.Engine.Connectors(); rt != nil {
		cs = append(cs, rt.Collector())
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// statusRecorder remembers the status a handler wrote. It forwards Flush so
// streaming endpoints still stream through it.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController and the websocket upgrade reach the
// underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		ep := endpointLabel(r.URL.Path)
		code := rec.code
		if code == 0 {
			code = http.StatusOK
		}
		m.requests.WithLabelValues(ep, strconv.Itoa(code)).Inc()
		m.latency.WithLabelValues(ep).Observe(time.Since(start).Seconds())
	})
}

// endpointLabel bounds the label's cardinality to the known endpoints.
func endpointLabel(path string) string {
	switch path {
	case "/ksql", "/ksql/terminate", "/query", "/query-stream", "/inserts-stream", "/close-query",
		"/ws/query", "/info", "/healthcheck", "/status", "/metrics":
		return path
	}
	if len(path) > 8 && path[:8] == "/status/" {
		return "/status"
	}
	if len(path) >= 17 && path[:17] == "/schema-registry/" {
		return "/schema-registry"
	}
	return "other"
}

// catalogCollector reports the persistent queries and sources the catalog
// holds. Record rates and lag need hooks the engine does not expose yet.
type catalogCollector struct{ s *Server }

var (
	queryInfoDesc = prometheus.NewDesc("sluice_query_info",
		"A persistent query, by id, kind, sink and state; always 1.",
		[]string{"query_id", "kind", "sink", "state"}, nil)
	sourcesDesc = prometheus.NewDesc("sluice_sources",
		"Streams and tables in the catalog.", []string{"type"}, nil)
	queryInDesc = prometheus.NewDesc("sluice_query_records_in_total",
		"Records a persistent query consumed since the server started.", []string{"query_id"}, nil)
	queryOutDesc = prometheus.NewDesc("sluice_query_records_out_total",
		"Records a persistent query produced (outputs and changelog writes).", []string{"query_id"}, nil)
	queryErrDesc = prometheus.NewDesc("sluice_query_processing_errors_total",
		"Records a persistent query sent to the processing log.", []string{"query_id"}, nil)
	queryLagDesc = prometheus.NewDesc("sluice_query_lag_records",
		"Records in a persistent query's inputs not yet processed.", []string{"query_id"}, nil)
)

func (c *catalogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queryInfoDesc
	ch <- sourcesDesc
	ch <- queryInDesc
	ch <- queryOutDesc
	ch <- queryErrDesc
	ch <- queryLagDesc
}

func (c *catalogCollector) Collect(ch chan<- prometheus.Metric) {
	cat := c.s.opts.Engine.Catalog()
	for _, q := range cat.Queries() {
		state := q.State
		if state == "" {
			state = "RUNNING"
		}
		ch <- prometheus.MustNewConstMetric(queryInfoDesc, prometheus.GaugeValue, 1, q.ID, q.Kind, q.Sink, state)
		if st, ok := c.s.opts.Engine.QueryStats(context.Background(), q.ID); ok {
			ch <- prometheus.MustNewConstMetric(queryInDesc, prometheus.CounterValue, float64(st.RecordsIn), q.ID)
			ch <- prometheus.MustNewConstMetric(queryOutDesc, prometheus.CounterValue, float64(st.RecordsOut), q.ID)
			ch <- prometheus.MustNewConstMetric(queryErrDesc, prometheus.CounterValue, float64(st.ProcessingErrors), q.ID)
			ch <- prometheus.MustNewConstMetric(queryLagDesc, prometheus.GaugeValue, float64(st.Lag), q.ID)
		}
	}
	counts := map[string]float64{"STREAM": 0, "TABLE": 0}
	for _, src := range cat.Sources() {
		counts[src.Kind.String()]++
	}
	for k, v := range counts {
		ch <- prometheus.MustNewConstMetric(sourcesDesc, prometheus.GaugeValue, v, k)
	}
}
