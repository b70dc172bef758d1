package registry

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
	"sync"
	"time"
)

// ClientOptions configures a Client.
type ClientOptions struct {
	// URL is the registry's base URL, e.g. http://localhost:8081. Several
	// may be given comma-separated, as in schema.registry.url; a request
	// that cannot reach one tries the next.
	URL string
	// Username and Password enable HTTP basic auth
	// (basic.auth.user.info).
	Username string
	Password string
	// Timeout bounds each request. Default 30s.
	Timeout time.Duration
	// HTTPClient, if set, is used instead of a new one (its Timeout is
	// left alone).
	HTTPClient *http.Client
}

// Client is a Registry backed by a remote Confluent-compatible schema
// registry. Schemas by id and registration results are cached, since they
// never change once assigned; listings and levels always go to the server.
type Client struct {
	urls []string
	opts ClientOptions
	http *http.Client

	mu        sync.RWMutex
	byID      map[int]Schema
	registers map[string]int // subject + schema identity → id
}

var _ Registry = (*Client)(nil)

// NewClient returns a client; it does not contact the server.
func NewClient(opts ClientOptions) (*Client, error) {
	var urls []string
	for _, u := range strings.Split(opts.URL, ",") {
		u = strings.TrimRight(strings.TrimSpace(u), "/")
		if u == "" {
			continue
		}
		if _, err := url.ParseRequestURI(u); err != nil {
			return nil, fmt.Errorf("schema registry client: url %q: %w", u, err)
		}
		urls = append(urls, u)
	}
	if len(urls) == 0 {
		return nil, errors.New("schema registry client: no url given")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: opts.Timeout}
	}
	return &Client{urls: urls, opts: opts, http: hc, byID: map[int]Schema{}, registers: map[string]int{}}, nil
}

// do sends one request and decodes a JSON response into out (if not nil).
// Confluent error bodies become *Error.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("schema registry client: encode %s %s: %w", method, path, err)
		}
		payload = b
	}
	var lastErr error
	for _, base := range c.urls {
		u := base + path
		if len(query) > 0 {
			u += "?" + query.Encode()
		}
		err := c.once(ctx, method, u, payload, out)
		var re *Error
		if err == nil || errors.As(err, &re) || ctx.Err() != nil {
			return err
		}
		lastErr = err // unreachable server: try the next one
	}
	return lastErr
}

func (c *Client) once(ctx context.Context, method, u string, payload []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("schema registry client: %s %s: %w", method, u, err)
	}
	req.Header.Set("Accept", ContentType+", application/json")
	if payload != nil {
		req.Header.Set("Content-Type", ContentType)
	}
	if c.opts.Username != "" || c.opts.Password != "" {
		req.SetBasicAuth(c.opts.Username, c.opts.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("schema registry client: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("schema registry client: %s %s: read response: %w", method, u, err)
	}
	if resp.StatusCode >= 300 {
		var eb errorResponse
		if json.Unmarshal(b, &eb) == nil && eb.ErrorCode != 0 {
			return &Error{Code: eb.ErrorCode, Message: eb.Message}
		}
		msg := strings.TrimSpace(string(b))
		if msg == "" {
			msg = resp.Status
		}
		return &Error{Code: resp.StatusCode, Message: msg}
	}
	switch o := out.(type) {
	case nil:
		return nil
	case *string:
		*o = string(b)
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("schema registry client: %s %s: decode response: %w", method, u, err)
	}
	return nil
}

func subjectPath(subject string) string { return "/subjects/" + url.PathEscape(subject) }

func versionString(v int) string {
	if v == Latest {
		return "latest"
	}
	return strconv.Itoa(v)
}

func boolQuery(name string, v bool) url.Values {
	if !v {
		return nil
	}
	return url.Values{name: {"true"}}
}

func wireRequest(s Schema) registerRequest {
	return registerRequest{Schema: s.Text, SchemaType: typeForWire(s.Type), References: s.References}
}

func registerCacheKey(subject string, s Schema) string {
	b, _ := json.Marshal(s.References)
	return subject + "\x00" + string(s.Type.Normalize()) + "\x00" + s.Text + "\x00" + string(b)
}

// Register implements Registry.
func (c *Client) Register(ctx context.Context, subject string, s Schema) (int, error) {
	key := registerCacheKey(subject, s)
	c.mu.RLock()
	id, ok := c.registers[key]
	c.mu.RUnlock()
	if ok {
		return id, nil
	}
	var out idResponse
	if err := c.do(ctx, http.MethodPost, subjectPath(subject)+"/versions", nil, wireRequest(s), &out); err != nil {
		return 0, err
	}
	c.mu.Lock()
	c.registers[key] = out.ID
	c.mu.Unlock()
	return out.ID, nil
}

func (r versionResponse) subjectSchema() SubjectSchema {
	return SubjectSchema{
		Subject: r.Subject, Version: r.Version, ID: r.ID,
		Schema: Schema{Type: r.SchemaType.Normalize(), Text: r.Schema, References: r.References},
	}
}

// Lookup implements Registry.
func (c *Client) Lookup(ctx context.Context, subject string, s Schema, deleted bool) (SubjectSchema, error) {
	var out versionResponse
	if err := c.do(ctx, http.MethodPost, subjectPath(subject), boolQuery("deleted", deleted), wireRequest(s), &out); err != nil {
		return SubjectSchema{}, err
	}
	return out.subjectSchema(), nil
}

// SchemaByID implements Registry.
func (c *Client) SchemaByID(ctx context.Context, id int) (Schema, error) {
	c.mu.RLock()
	s, ok := c.byID[id]
	c.mu.RUnlock()
	if ok {
		return s, nil
	}
	var out schemaResponse
	if err := c.do(ctx, http.MethodGet, "/schemas/ids/"+strconv.Itoa(id), nil, nil, &out); err != nil {
		return Schema{}, err
	}
	s = Schema{Type: out.SchemaType.Normalize(), Text: out.Schema, References: out.References}
	c.mu.Lock()
	c.byID[id] = s
	c.mu.Unlock()
	return s, nil
}

// SubjectsByID implements Registry.
func (c *Client) SubjectsByID(ctx context.Context, id int, deleted bool) ([]string, error) {
	var out []string
	err := c.do(ctx, http.MethodGet, "/schemas/ids/"+strconv.Itoa(id)+"/subjects", boolQuery("deleted", deleted), nil, &out)
	return out, err
}

// VersionsByID implements Registry.
func (c *Client) VersionsByID(ctx context.Context, id int, deleted bool) ([]SubjectVersion, error) {
	var out []SubjectVersion
	err := c.do(ctx, http.MethodGet, "/schemas/ids/"+strconv.Itoa(id)+"/versions", boolQuery("deleted", deleted), nil, &out)
	return out, err
}

// Subjects implements Registry.
func (c *Client) Subjects(ctx context.Context, opts ListOptions) ([]string, error) {
	q := boolQuery("deleted", opts.Deleted)
	if opts.Prefix != "" {
		if q == nil {
			q = url.Values{}
		}
		q.Set("subjectPrefix", opts.Prefix)
	}
	var out []string
	err := c.do(ctx, http.MethodGet, "/subjects", q, nil, &out)
	return out, err
}

// Versions implements Registry.
func (c *Client) Versions(ctx context.Context, subject string, deleted bool) ([]int, error) {
	var out []int
	err := c.do(ctx, http.MethodGet, subjectPath(subject)+"/versions", boolQuery("deleted", deleted), nil, &out)
	return out, err
}

// Version implements Registry.
func (c *Client) Version(ctx context.Context, subject string, version int, deleted bool) (SubjectSchema, error) {
	var out versionResponse
	if err := c.do(ctx, http.MethodGet, subjectPath(subject)+"/versions/"+versionString(version), boolQuery("deleted", deleted), nil, &out); err != nil {
		return SubjectSchema{}, err
	}
	return out.subjectSchema(), nil
}

// ReferencedBy implements Registry.
func (c *Client) ReferencedBy(ctx context.Context, subject string, version int) ([]int, error) {
	var out []int
	err := c.do(ctx, http.MethodGet, subjectPath(subject)+"/versions/"+versionString(version)+"/referencedby", nil, nil, &out)
	return out, err
}

// DeleteSubject implements Registry.
func (c *Client) DeleteSubject(ctx context.Context, subject string, permanent bool) ([]int, error) {
	var out []int
	if err := c.do(ctx, http.MethodDelete, subjectPath(subject), boolQuery("permanent", permanent), nil, &out); err != nil {
		return nil, err
	}
	c.forgetSubject(subject)
	return out, nil
}

// DeleteVersion implements Registry.
func (c *Client) DeleteVersion(ctx context.Context, subject string, version int, permanent bool) (int, error) {
	var out int
	if err := c.do(ctx, http.MethodDelete, subjectPath(subject)+"/versions/"+versionString(version), boolQuery("permanent", permanent), nil, &out); err != nil {
		return 0, err
	}
	c.forgetSubject(subject)
	return out, nil
}

// forgetSubject drops cached registrations under a subject: after a
// delete, registering again must reach the server to create a version.
func (c *Client) forgetSubject(subject string) {
	prefix := subject + "\x00"
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.registers {
		if strings.HasPrefix(k, prefix) {
			delete(c.registers, k)
		}
	}
}

// CheckCompatibility implements Registry.
func (c *Client) CheckCompatibility(ctx context.Context, subject string, version int, s Schema) (CompatibilityResult, error) {
	path := "/compatibility" + subjectPath(subject) + "/versions"
	if version != 0 {
		path += "/" + versionString(version)
	}
	var out compatResponse
	if err := c.do(ctx, http.MethodPost, path, url.Values{"verbose": {"true"}}, wireRequest(s), &out); err != nil {
		return CompatibilityResult{}, err
	}
	return CompatibilityResult{Compatible: out.IsCompatible, Messages: out.Messages}, nil
}

func configPath(subject string) string {
	if subject == "" {
		return "/config"
	}
	return "/config/" + url.PathEscape(subject)
}

// Compatibility implements Registry.
func (c *Client) Compatibility(ctx context.Context, subject string, fallback bool) (Level, error) {
	var out configResponse
	if err := c.do(ctx, http.MethodGet, configPath(subject), boolQuery("defaultToGlobal", fallback), nil, &out); err != nil {
		return "", err
	}
	return out.CompatibilityLevel, nil
}

// SetCompatibility implements Registry.
func (c *Client) SetCompatibility(ctx context.Context, subject string, level Level) error {
	return c.do(ctx, http.MethodPut, configPath(subject), nil, configRequest{Compatibility: string(level)}, nil)
}

// DeleteCompatibility implements Registry.
func (c *Client) DeleteCompatibility(ctx context.Context, subject string) (Level, error) {
	var out configResponse
	if err := c.do(ctx, http.MethodDelete, configPath(subject), nil, nil, &out); err != nil {
		return "", err
	}
	return out.CompatibilityLevel, nil
}
