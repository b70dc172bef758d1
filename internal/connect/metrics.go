package connect

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collector returns a Prometheus collector of the runtime's connectors,
// read at scrape time from their status, for the server to register on
// its /metrics registry.
func (rt *Runtime) Collector() prometheus.Collector { return collector{rt} }

var (
	descRecords = prometheus.NewDesc("sluice_connector_records_total",
		"Records a connector wrote to the log (source) or delivered (sink) since it started in this process.",
		[]string{"connector", "type"}, nil)
	descLag = prometheus.NewDesc("sluice_connector_lag",
		"Records a sink connector has not yet delivered, or bytes of WAL a PostgreSQL source has not confirmed.",
		[]string{"connector", "type"}, nil)
	descUp = prometheus.NewDesc("sluice_connector_running",
		"1 when the connector's task is running, 0 otherwise.",
		[]string{"connector", "type", "state"}, nil)
)

type collector struct{ rt *Runtime }

func (collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descRecords
	ch <- descLag
	ch <- descUp
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.rt.List() {
		kind := st.Kind.String()
		ch <- prometheus.MustNewConstMetric(descRecords, prometheus.CounterValue, float64(st.Records), st.Name, kind)
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(st.Lag), st.Name, kind)
		up := 0.0
		if st.State == Running {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, st.Name, kind, string(st.State))
	}
}
