package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// ItemError is the server's answer for one action it did not apply.
type ItemError struct {
	Status int
	// Type and Reason are the server's error type (e.g.
	// mapper_parsing_exception) and message.
	Type   string
	Reason string
	// Malformed says the document itself was rejected (mapping or parse
	// errors), which behavior.on.malformed.documents governs.
	Malformed bool
	// Attempts is how many times the action was sent.
	Attempts int
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("bulk: HTTP %d %s: %s", e.Status, e.Type, e.Reason)
}

// ErrRejected is wrapped by the fatal error a Writer records when the
// server rejected an action for good and OnFailure did not accept it.
var ErrRejected = errors.New("bulk: action rejected")

// malformedTypes are the error types the Confluent connector treats as a
// bad document rather than a bad request or a bad server.
var malformedTypes = map[string]bool{
	"mapper_parsing_exception":                true,
	"document_parsing_exception":              true,
	"illegal_argument_exception":              true,
	"action_request_validation_exception":     true,
	"strict_dynamic_mapping_exception":        true,
	"json_parse_exception":                    true,
	"x_content_parse_exception":               true,
	"number_format_exception":                 true,
	"mapper_exception":                        true,
	"illegal_state_exception":                 false,
	"version_conflict_engine_exception":       false,
	"document_missing_exception":              false,
	"index_not_found_exception":               false,
	"cluster_block_exception":                 false,
	"es_rejected_execution_exception":         false,
	"opensearch_rejected_execution_exception": false,
}

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 1<<20); return &b }}

// bulkQuery trims the response to what the Writer reads: on success
// OpenSearch then answers with a few bytes per item instead of the whole
// item metadata.
var bulkQuery = url.Values{"filter_path": {"errors,items.*.status,items.*.error.type,items.*.error.reason"}}

// send delivers actions, retrying as the contract in the package comment
// says. It returns only a fatal error.
func (w *Writer) send(ctx context.Context, b *batch) error {
	actions := b.actions
	attempts := make([]int, len(actions))
	transportTries := 0
	itemRound := 0
	// The first request sends the body the batch was built in; only a
	// retry of some of its actions writes a new one.
	whole := true
	for len(actions) > 0 {
		body := b.body
		var bp *[]byte
		if !whole {
			bp = bodyPool.Get().(*[]byte)
			body = (*bp)[:0]
			for i := range actions {
				body = actions[i].appendTo(body)
			}
		}
		for i := range attempts {
			attempts[i]++
		}
		w.count(func(s *Stats) { s.Requests++ })
		resp, status, err := w.c.do(ctx, http.MethodPost, "/_bulk", bulkQuery, body)
		if bp != nil {
			*bp = body
			bodyPool.Put(bp)
		}
		if err == nil && (status == http.StatusTooManyRequests || status >= 500) {
			err = fmt.Errorf("%w: bulk: HTTP %d: %s", ErrConnect, status, clip(resp))
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil // closing; nothing was acknowledged
			}
			if !errors.Is(err, ErrConnect) {
				return err
			}
			// The server is down or overloaded: wait it out.
			// One warning when the outage starts and then every twentieth
			// attempt, so a long outage does not flood the log.
			lvl := slog.LevelDebug
			if transportTries%20 == 0 {
				lvl = slog.LevelWarn
			}
			w.opts.Logger.Log(ctx, lvl, "search engine unavailable; retrying", "err", err, "actions", len(actions), "attempt", transportTries+1)
			w.count(func(s *Stats) { s.Retries++ })
			if !w.sleep(ctx, transportTries) {
				return nil
			}
			transportTries++
			for i := range attempts {
				attempts[i]--
			}
			continue
		}
		transportTries = 0
		if status != http.StatusOK {
			return fmt.Errorf("%w: bulk: HTTP %d: %s", ErrServer, status, clip(resp))
		}
		retry, retryAttempts, err := w.results(ctx, actions, attempts, resp)
		if err != nil {
			return err
		}
		if len(retry) == 0 {
			return nil
		}
		w.count(func(s *Stats) { s.Retries++ })
		if !w.sleep(ctx, itemRound) {
			return nil
		}
		itemRound++
		actions, attempts = retry, retryAttempts
		whole = false
	}
	return nil
}

// results applies a bulk response: it counts successes, reports
// permanent failures and returns the actions to retry.
func (w *Writer) results(ctx context.Context, actions []Action, attempts []int, resp []byte) ([]Action, []int, error) {
	if ok, known := quickSuccess(resp); known && ok {
		w.countOK(actions)
		return nil, nil, nil
	}
	var r struct {
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			Status int `json:"status"`
			Error  *struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return nil, nil, fmt.Errorf("%w: bulk: decode response: %w", ErrServer, err)
	}
	if !r.Errors {
		w.countOK(actions)
		return nil, nil, nil
	}
	if len(r.Items) != len(actions) {
		return nil, nil, fmt.Errorf("%w: bulk: %d items answered for %d sent", ErrServer, len(r.Items), len(actions))
	}
	var retry []Action
	var retryAttempts []int
	var ok Stats
	for i, m := range r.Items {
		for _, it := range m {
			a := &actions[i]
			switch {
			case it.Error == nil && it.Status < 300, a.Op == OpDelete && it.Status == http.StatusNotFound:
				if a.Op == OpDelete {
					ok.Deleted++
				} else {
					ok.Indexed++
				}
			case it.Status == http.StatusConflict && a.Versioned:
				// A newer version is already there: this write is stale,
				// which is what external versioning is for.
				ok.Conflicts++
			case (it.Status == http.StatusTooManyRequests || it.Status >= 500) && attempts[i] <= w.opts.MaxRetries:
				retry = append(retry, *a)
				retryAttempts = append(retryAttempts, attempts[i])
			default:
				ie := &ItemError{Status: it.Status, Attempts: attempts[i]}
				if it.Error != nil {
					ie.Type, ie.Reason = it.Error.Type, it.Error.Reason
				}
				ie.Malformed = malformedTypes[ie.Type] || (it.Status == http.StatusBadRequest && ie.Type != "")
				ok.Failed++
				if err := w.fail(ctx, a, ie); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	w.count(func(s *Stats) {
		s.Indexed += ok.Indexed
		s.Deleted += ok.Deleted
		s.Conflicts += ok.Conflicts
		s.Failed += ok.Failed
	})
	return retry, retryAttempts, nil
}

func (w *Writer) fail(ctx context.Context, a *Action, ie *ItemError) error {
	if w.opts.OnFailure == nil {
		return fmt.Errorf("%w: %s %s/%s: %w", ErrRejected, a.Op, a.Index, a.ID, ie)
	}
	w.failMu.Lock()
	defer w.failMu.Unlock()
	if err := w.opts.OnFailure(ctx, a, ie); err != nil {
		return fmt.Errorf("%w: %s %s/%s: %w", ErrRejected, a.Op, a.Index, a.ID, err)
	}
	return nil
}

// quickSuccess reads "errors":false from the head of a response without
// decoding its items, which is nearly every response.
func quickSuccess(resp []byte) (ok, known bool) {
	head := resp[:min(len(resp), 64)]
	if bytes.Contains(head, []byte(`"errors":false`)) {
		return true, true
	}
	return false, false
}

func (w *Writer) countOK(actions []Action) {
	var idx, del int64
	for i := range actions {
		if actions[i].Op == OpDelete {
			del++
		} else {
			idx++
		}
	}
	w.count(func(s *Stats) { s.Indexed += idx; s.Deleted += del })
}

func (w *Writer) count(f func(*Stats)) {
	w.mu.Lock()
	f(&w.stats)
	w.mu.Unlock()
}

// sleep waits the backoff for attempt n (0-based): RetryBackoff doubled
// per attempt, capped at MaxBackoff, with jitter so writers that failed
// together do not retry together. It reports false if ctx ended.
func (w *Writer) sleep(ctx context.Context, n int) bool {
	d := w.opts.RetryBackoff
	for i := 0; i < n && d < w.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, w.opts.MaxBackoff)
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
