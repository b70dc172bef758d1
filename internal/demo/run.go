package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// Vars are the tutorial's host, port and credential variables for the
// local services.
func Vars(ep testsvc.Endpoints) (map[string]string, error) {
	vars := map[string]string{}
	if ep.Postgres != nil {
		vars["PG_HOST"] = ep.Postgres.Host
		vars["PG_PORT"] = strconv.Itoa(ep.Postgres.Port)
		vars["PG_USER"] = ep.Postgres.User
		vars["PG_PASSWORD"] = ep.Postgres.Password
	}
	if ep.MongoURI != "" {
		u, err := url.Parse(ep.MongoURI)
		if err != nil {
			return nil, fmt.Errorf("demo: mongodb uri: %w", err)
		}
		vars["MONGO_HOSTS"] = u.Host
		// FerretDB here runs without authentication.
		vars["MONGO_USER"] = ""
		vars["MONGO_PASSWORD"] = ""
	}
	vars["ES_URL"] = ep.SearchURL
	return vars, nil
}

// Statements returns the tutorial's statements with vars substituted.
func Statements(sql string, vars map[string]string) []string {
	var out []string
	for _, seg := range parser.Split(parser.SubstituteVariables(sql, vars)) {
		out = append(out, seg.Text)
	}
	return out
}

// PostKSQL sends one statement to a ksqlDB-compatible /ksql endpoint and
// returns the response body; a non-2xx status is an error carrying it.
func PostKSQL(ctx context.Context, base, stmt string, props map[string]string) ([]byte, error) {
	body, _ := json.Marshal(map[string]any{"ksql": stmt + ";", "streamsProperties": props})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/ksql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/vnd.ksql.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("demo: POST /ksql: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return b, fmt.Errorf("demo: statement failed (%s): %s", resp.Status, b)
	}
	return b, nil
}

// WaitHealthy polls a server's /healthcheck until it answers.
func WaitHealthy(ctx context.Context, base string) error {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/healthcheck", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: server not healthy: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Hit is one search hit.
type Hit struct {
	ID     string         `json:"_id"`
	Source map[string]any `json:"_source"`
}

// SearchAll returns the documents of index, or an empty list if the index
// does not exist yet.
func SearchAll(ctx context.Context, searchURL, index string) ([]Hit, []byte, error) {
	u := strings.TrimRight(searchURL, "/") + "/" + index + "/_search?size=1000&pretty"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: search %s: %w", index, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusNotFound {
		return nil, b, nil
	}
	if resp.StatusCode/100 != 2 {
		return nil, b, fmt.Errorf("demo: search %s: %s: %s", index, resp.Status, b)
	}
	var r struct {
		Hits struct {
			Hits []Hit `json:"hits"`
		} `json:"hits"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, b, fmt.Errorf("demo: search %s: %w", index, err)
	}
	return r.Hits.Hits, b, nil
}

// WaitDocs polls index until it holds at least n documents that satisfy
// ok (nil accepts any).
func WaitDocs(ctx context.Context, searchURL, index string, n int, ok func([]Hit) bool) ([]Hit, []byte, error) {
	for {
		hits, body, err := SearchAll(ctx, searchURL, index)
		if err == nil && len(hits) >= n && (ok == nil || ok(hits)) {
			return hits, body, nil
		}
		select {
		case <-ctx.Done():
			return hits, body, fmt.Errorf("demo: %d documents in %s, waited for %d: %w", len(hits), index, n, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Retry runs f until it succeeds or fails with something other than a
// missing topic: a stream over a connector's topic waits for the
// connector's snapshot to create it.
func Retry(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil || !strings.Contains(err.Error(), "topic does not exist") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// DeleteIndex removes an index if it exists.
func DeleteIndex(ctx context.Context, searchURL, index string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, strings.TrimRight(searchURL, "/")+"/"+index, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("demo: delete index %s: %w", index, err)
	}
	resp.Body.Close()
	return nil
}
