package elasticsearch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/elasticsearch"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// sinkContext is the runtime's side of a sink task in these tests: it
// keeps what the task dead-letters.
type sinkContext struct {
	log *slog.Logger
	mu  sync.Mutex
	dlq []*connect.Record
}

func (c *sinkContext) Logger() *slog.Logger { return c.log }

func (c *sinkContext) DeadLetter(_ context.Context, r *connect.Record, _ error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dlq = append(c.dlq, r)
	return nil
}

func (c *sinkContext) deadLettered() []*connect.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*connect.Record(nil), c.dlq...)
}

// testSpec adds the keys the runtime gives every sink connector.
var testSpec = elasticsearch.Spec.With(connect.NewSpec(
	connect.Key{Name: "topics", Type: connect.TypeList},
	connect.Key{Name: "topics.regex"},
	connect.Key{Name: "errors.tolerance", Default: "none", Allowed: []string{"none", "all"}},
	connect.Key{Name: "errors.deadletterqueue.topic.name"},
))

// startTask validates raw and starts a task as the runtime would.
func startTask(t *testing.T, raw map[string]string) (connect.SinkTask, *sinkContext) {
	t.Helper()
	cfg, err := testSpec.Validate(raw)
	if err != nil {
		t.Fatal(err)
	}
	task, err := elasticsearch.NewTask(cfg, connect.Env{Name: "es"})
	if err != nil {
		t.Fatal(err)
	}
	sc := &sinkContext{log: slog.New(slog.DiscardHandler)}
	if testing.Verbose() {
		sc.log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if err := task.Start(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { task.Stop() })
	return task, sc
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// topic returns a topic name unique to t, with capitals as ksqlDB writes
// them, and deletes its index when t ends.
func topic(t *testing.T, url string) string {
	t.Helper()
	name := "T_" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	idx := elasticsearch.IndexName(name)
	del := func() {
		req, _ := http.NewRequest(http.MethodDelete, url+"/"+idx, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	del()
	t.Cleanup(del)
	return name
}

type hit struct {
	ID     string          `json:"_id"`
	Source json.RawMessage `json:"_source"`
}

// docs returns every document of an index by id.
func docs(t *testing.T, url, index string) map[string]string {
	t.Helper()
	httpGet(t, url+"/"+index+"/_refresh", nil)
	var out struct {
		Hits struct {
			Hits []hit `json:"hits"`
		} `json:"hits"`
	}
	httpGet(t, url+"/"+index+"/_search?size=10000", &out)
	m := map[string]string{}
	for _, h := range out.Hits.Hits {
		m[h.ID] = string(h.Source)
	}
	return m
}

func count(t testing.TB, url, index string) int {
	t.Helper()
	httpGet(t, url+"/"+index+"/_refresh", nil)
	var out struct {
		Count int `json:"count"`
	}
	httpGet(t, url+"/"+index+"/_count", &out)
	return out.Count
}

func httpPost(t *testing.T, url string, body, out any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d: %s", url, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
}

func httpGet(t testing.TB, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d: %s", url, resp.StatusCode, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
}

// forEachEngine runs a test against OpenSearch and against Elasticsearch
// (7.10, the newest that can be run here; see testsvc's elastic service).
func forEachEngine(t *testing.T, test func(t *testing.T, url string)) {
	t.Run("opensearch", func(t *testing.T) { test(t, testsvc.Search(t)) })
	t.Run("elasticsearch", func(t *testing.T) { test(t, testsvc.Elastic(t)) })
}
