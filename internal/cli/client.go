package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client talks to a ksqlDB-compatible REST API: Sluice's or ksqlDB's.
type Client struct {
	BaseURL  string
	Username string
	Password string
	HTTP     *http.Client
}

// NewClient returns a client for baseURL. insecure skips TLS verification,
// for servers with self-signed certificates.
func NewClient(baseURL string, insecure bool) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for by the user
	}
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Transport: tr}}
}

// ServerError is an error response, in the server's words.
type ServerError struct {
	Status        int
	Code          int    `json:"error_code"`
	Message       string `json:"message"`
	StatementText string `json:"statementText"`
	// Entities are the results of the statements that succeeded before
	// the failing one.
	Entities []json.RawMessage `json:"entities"`
}

func (e *ServerError) Error() string { return e.Message }

func (c *Client) post(ctx context.Context, path string, body any, accept string) (*http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	if c.Username != "" {
		req.SetBasicAuth(c.Username, c.Password)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		se := &ServerError{Status: resp.StatusCode}
		if json.Unmarshal(data, se) != nil || se.Message == "" {
			se.Message = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(data)))
		}
		return nil, se
	}
	return resp, nil
}

// Ksql runs statements through /ksql and returns their entities.
func (c *Client) Ksql(ctx context.Context, sql string, props, vars map[string]string) ([]json.RawMessage, error) {
	resp, err := c.post(ctx, "/ksql", map[string]any{"ksql": sql, "streamsProperties": props, "sessionVariables": vars},
		"application/vnd.ksql.v1+json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("/ksql: decode response: %w", err)
	}
	return out, nil
}

// QueryHeader is the metadata /query-stream sends first.
type QueryHeader struct {
	QueryID     string   `json:"queryId"`
	ColumnNames []string `json:"columnNames"`
	ColumnTypes []string `json:"columnTypes"`
}

// Query streams a SELECT through /query-stream: onHeader once, then onRow
// per row until the result ends or ctx is cancelled.
func (c *Client) Query(ctx context.Context, sql string, props, vars map[string]string,
	onHeader func(QueryHeader), onRow func([]any)) error {
	resp, err := c.post(ctx, "/query-stream", map[string]any{"sql": sql, "properties": props, "sessionVariables": vars},
		"application/vnd.ksqlapi.delimited.v1")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	first := true
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if first {
			first = false
			var h QueryHeader
			if err := json.Unmarshal(line, &h); err != nil {
				return fmt.Errorf("query header: %w", err)
			}
			onHeader(h)
			continue
		}
		if line[0] == '{' {
			se := &ServerError{}
			if json.Unmarshal(line, se) == nil && se.Message != "" {
				return se
			}
			continue
		}
		var row []any
		if err := json.Unmarshal(line, &row); err != nil {
			return fmt.Errorf("query row: %w", err)
		}
		onRow(row)
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("query stream: %w", err)
	}
	return nil
}

// CloseQuery asks the server to stop a push query.
func (c *Client) CloseQuery(ctx context.Context, id string) error {
	resp, err := c.post(ctx, "/close-query", map[string]string{"queryId": id}, "application/json")
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// Info returns the server's /info document.
func (c *Client) Info(ctx context.Context) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"/info", nil)
	if err != nil {
		return nil, err
	}
	if c.Username != "" {
		req.SetBasicAuth(c.Username, c.Password)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("/info: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &ServerError{Status: resp.StatusCode, Message: "/info: " + resp.Status}
	}
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("/info: %w", err)
	}
	return out, nil
}

// IsServerError reports whether err came from the server, as opposed to
// the connection.
func IsServerError(err error) bool {
	var se *ServerError
	return errors.As(err, &se)
}
