package server

import "net/http"

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"KsqlServerInfo": map[string]any{
		"version":        s.opts.Version,
		"kafkaClusterId": "sluice-" + s.opts.ServiceID,
		"ksqlServiceId":  s.opts.ServiceID,
		"serverStatus":   "RUNNING",
	}})
}

// handleHealth reports the parts ksqlDB's healthcheck reports. The
// metastore and log are in-process, so reaching this handler means they
// answer; the log is probed with a topic listing.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	logOK := true
	if s.opts.Log != nil {
		if _, err := s.opts.Log.ListTopics(r.Context()); err != nil {
			logOK = false
		}
	}
	status := http.StatusOK
	if !logOK {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{
		"isHealthy": logOK,
		"details": map[string]any{
			"metastore":     map[string]bool{"isHealthy": true},
			"kafka":         map[string]bool{"isHealthy": logOK},
			"commandRunner": map[string]bool{"isHealthy": true},
		},
		"ksqlServiceId": s.opts.ServiceID,
	})
}
