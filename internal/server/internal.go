package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
)

// The internal listener's one endpoint: servers that share a query send
// each other the reads of a pull query's partitions they do not own
// (engine/pullroute.go). It serves on the same listener as the REST API,
// behind the same authentication, as ksqlDB's internal requests do when
// no separate ksql.internal.listener is configured.

// internalPullPath is where a server answers forwarded pull reads.
const internalPullPath = "/internal/pull"

// pullReadResponse carries the rows of a forwarded pull read.
type pullReadResponse struct {
	Rows []engine.StoredRow `json:"rows"`
}

func (s *Server) handleInternalPull(w http.ResponseWriter, r *http.Request) {
	var req engine.PullRead
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, 40000, "pull read: "+err.Error())
		return
	}
	rows, err := s.opts.Engine.ReadLocal(r.Context(), &req)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, engine.ErrNotOwner) {
			// The asking server's view of the group is stale: it looks
			// the owner up again.
			status = http.StatusConflict
		}
		writeError(w, status, status*100, err.Error())
		return
	}
	if rows == nil {
		rows = []engine.StoredRow{}
	}
	writeJSON(w, http.StatusOK, pullReadResponse{Rows: rows})
}

// PullClient forwards pull reads to other servers' internal listeners; it
// is the engine's PullForwarder. A read made for an authenticated request
// carries that request's credentials, which every server of a service
// accepts alike.
type PullClient struct {
	HTTP *http.Client
}

var _ engine.PullForwarder = (*PullClient)(nil)

// ReadRemote implements engine.PullForwarder.
func (c *PullClient) ReadRemote(ctx context.Context, url string, req *engine.PullRead) ([]engine.StoredRow, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(url, "/")+internalPullPath, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	if cr, ok := ctx.Value(credentialsKey{}).(credentials); ok {
		hr.SetBasicAuth(cr.user, cr.password)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	var out pullReadResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("decode pull read response: %w", err)
	}
	return out.Rows, nil
}
