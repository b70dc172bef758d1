package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// post sends a JSON request and decodes the JSON response.
func (e *restEnv) post(ctx context.Context, path string, body any) (int, any, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.base+path, bytes.NewReader(data))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return resp.StatusCode, nil, nil
	}
	x, err := decodeAny(b)
	if err != nil {
		return resp.StatusCode, string(b), nil
	}
	return resp.StatusCode, x, nil
}

// query runs a query through /query and reads its response: a JSON array
// of StreamedRow objects that ends when the query does (a pull query's
// result, a push query's LIMIT). A push query that does not end is read
// until it has sent want objects, or until the timeout. afterHeader, if
// set, runs once the header has arrived, while the query runs.
func (e *restEnv) query(ctx context.Context, sql string, props map[string]any, want int, afterHeader func() error) (int, any, []any, error) {
	qctx, cancel := context.WithTimeout(ctx, restQueryTimeout)
	defer cancel()
	data, err := json.Marshal(map[string]any{"ksql": sql, "streamsProperties": props})
	if err != nil {
		return 0, nil, nil, err
	}
	req, err := http.NewRequestWithContext(qctx, http.MethodPost, e.base+"/query", bytes.NewReader(data))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		x, err := decodeAny(b)
		if err != nil {
			return resp.StatusCode, string(b), nil, nil
		}
		return resp.StatusCode, x, nil, nil
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil {
		return 0, nil, nil, fmt.Errorf("response start: %w", err)
	} else if d, ok := tok.(json.Delim); !ok || d != '[' {
		return 0, nil, nil, fmt.Errorf("response is not a JSON array: starts with %v", tok)
	}
	// After the wanted rows a push query that does not end gets a short
	// grace for anything more, as the rows it owes are all there.
	var rows []any
	var grace <-chan time.Time
	next := make(chan error, 1)
	var row any
	for {
		go func() {
			if !dec.More() {
				next <- io.EOF
				return
			}
			row = nil
			next <- dec.Decode(&row)
		}()
		var err error
		select {
		case err = <-next:
		case <-grace:
			cancel()
			<-next
			return http.StatusOK, nil, rows, nil
		}
		if errors.Is(err, io.EOF) {
			return http.StatusOK, nil, rows, nil
		}
		if err != nil {
			if qctx.Err() != nil {
				// Timed out: the rows so far are the response.
				return http.StatusOK, nil, rows, nil
			}
			return 0, nil, nil, fmt.Errorf("response row %d: %w", len(rows), err)
		}
		rows = append(rows, row)
		if len(rows) == 1 && afterHeader != nil {
			if err := afterHeader(); err != nil {
				return 0, nil, nil, err
			}
		}
		if want >= 0 && len(rows) >= want && grace == nil {
			grace = time.After(200 * time.Millisecond)
		}
	}
}
