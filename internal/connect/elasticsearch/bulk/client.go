package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opensearch-project/opensearch-go/v4"
)

// ErrConnect is wrapped by errors that mean the server could not be
// reached or answered 502/503/504: the request may be retried as is.
var ErrConnect = errors.New("bulk: search engine unavailable")

// ErrServer is wrapped by errors the server returned for a whole request.
var ErrServer = errors.New("bulk: search engine error")

// ClientConfig says how to reach the cluster.
type ClientConfig struct {
	// URLs are the node addresses, e.g. http://localhost:9200.
	URLs     []string
	Username string
	Password string
	// RequestTimeout bounds one HTTP round trip; zero means none.
	RequestTimeout time.Duration
	// MaxConns is how many connections per node are kept open for reuse;
	// set it to the number of requests in flight.
	MaxConns int
}

// Client talks to one Elasticsearch or OpenSearch cluster.
type Client struct {
	os *opensearch.Client
	// Distribution is "opensearch" or "elasticsearch"; Major is the
	// server's major version. They decide whether mapping types are sent.
	Distribution string
	Major        int
}

// NewClient builds a client; it does not contact the server (see Probe).
func NewClient(cfg ClientConfig) (*Client, error) {
	if len(cfg.URLs) == 0 {
		return nil, fmt.Errorf("bulk: no connection URL")
	}
	never := false
	// net/http keeps two idle connections per host by default; with more
	// bulk requests in flight than that, every request beyond the second
	// would open (and leave in TIME_WAIT) a fresh connection.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = max(cfg.MaxConns, 8)
	c, err := opensearch.NewClient(opensearch.Config{
		Transport: tr,
		Addresses: cfg.URLs,
		Username:  cfg.Username,
		Password:  cfg.Password,
		// The Writer owns retries: it knows which items failed and how
		// long to wait for a server that is restarting.
		DisableRetry:          true,
		RequestTimeout:        cfg.RequestTimeout,
		DiscoverNodesOnStart:  &never,
		HealthCheckMaxRetries: -1,
		// A node that failed once must be tried again promptly when it is
		// the only one, or a restart would leave the client waiting on its
		// own resurrection timer.
		ResurrectTimeoutInitial: 200 * time.Millisecond,
		ResurrectTimeoutMax:     2 * time.Second,
		MinimumResurrectTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		return nil, fmt.Errorf("bulk: client: %w", err)
	}
	return &Client{os: c, Distribution: "opensearch", Major: 2}, nil
}

// Close releases the client's connections and background work.
func (c *Client) Close() error { return c.os.Close() }

// UsesTypes reports whether the server still has mapping types.
func (c *Client) UsesTypes() bool { return c.Distribution == "elasticsearch" && c.Major < 7 }

// Probe asks the server what it is and records the answer.
func (c *Client) Probe(ctx context.Context) error {
	body, status, err := c.do(ctx, http.MethodGet, "/", nil, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("%w: GET /: HTTP %d: %s", ErrServer, status, clip(body))
	}
	var info struct {
		Version struct {
			Distribution string `json:"distribution"`
			Number       string `json:"number"`
		} `json:"version"`
	}
	if err := json.Unmarshal(body, &info); err != nil {
		return fmt.Errorf("bulk: GET /: %w", err)
	}
	c.Distribution = "elasticsearch"
	if info.Version.Distribution != "" {
		c.Distribution = info.Version.Distribution
	}
	major, _, _ := strings.Cut(info.Version.Number, ".")
	if n, err := strconv.Atoi(major); err == nil {
		c.Major = n
	}
	return nil
}

// CreateIndex creates index unless it exists. A non-nil mapping (the body
// of a mapping, {"properties":...}) is put on the index whether it was new
// or not, as the Confluent connector does when schema.ignore=false.
func (c *Client) CreateIndex(ctx context.Context, index, typ string, mapping []byte) error {
	body, status, err := c.do(ctx, http.MethodPut, "/"+url.PathEscape(index), nil, nil)
	if err != nil {
		return fmt.Errorf("create index %s: %w", index, err)
	}
	if status >= 300 && !bytes.Contains(body, []byte("resource_already_exists_exception")) {
		return fmt.Errorf("%w: create index %s: HTTP %d: %s", ErrServer, index, status, clip(body))
	}
	if mapping == nil {
		return nil
	}
	path := "/" + url.PathEscape(index) + "/_mapping"
	if typ != "" && c.UsesTypes() {
		path += "/" + url.PathEscape(typ)
	}
	body, status, err = c.do(ctx, http.MethodPut, path, nil, mapping)
	if err != nil {
		return fmt.Errorf("put mapping %s: %w", index, err)
	}
	if status >= 300 {
		return fmt.Errorf("%w: put mapping %s: HTTP %d: %s", ErrServer, index, status, clip(body))
	}
	return nil
}

// do performs one request and returns the body and status. Transport
// failures and 502/503/504 wrap ErrConnect.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte) ([]byte, int, error) {
	u := &url.URL{Path: path}
	if query != nil {
		u.RawQuery = query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, 0, fmt.Errorf("bulk: request: %w", err)
	}
	if body != nil {
		req.Header = http.Header{"Content-Type": {"application/json"}}
		b := body
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	resp, err := c.os.Stream(req)
	if resp == nil {
		if err == nil {
			err = errors.New("no response")
		}
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("bulk: %s %s: %w", method, path, ctx.Err())
		}
		return nil, 0, fmt.Errorf("%w: %s %s: %w", ErrConnect, method, path, err)
	}
	defer resp.Body.Close()
	out, rerr := io.ReadAll(resp.Body)
	if rerr != nil {
		return nil, 0, fmt.Errorf("%w: %s %s: read: %w", ErrConnect, method, path, rerr)
	}
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return out, resp.StatusCode, fmt.Errorf("%w: %s %s: HTTP %d: %s", ErrConnect, method, path, resp.StatusCode, clip(out))
	}
	return out, resp.StatusCode, nil
}

// clip shortens a server answer for an error message.
func clip(b []byte) string {
	const max = 512
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
