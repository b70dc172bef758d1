package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/server"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
)

// harness is a real server over real storage in a temporary directory.
type harness struct {
	t    *testing.T
	srv  *server.Server
	http *httptest.Server
	eng  *engine.Engine
	log  *embedded.Log
	reg  *registry.Embedded
	logs *lockedWriter
}

func newHarness(t *testing.T, mod func(*server.Options)) *harness {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pebblestore.Open(filepath.Join(dir, "state"), pebblestore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Open(ctx, lg, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedWriter{w: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fns := builtin.New()
	eng := engine.New(engine.Options{Log: lg, State: st, Registry: engine.SchemaRegistry(reg), Functions: fns,
		Config: map[string]string{"ksql.streams.auto.offset.reset": "earliest", "auto.offset.reset": "earliest"}, Logger: logger})
	opts := server.Options{Engine: eng, Queries: server.EngineQueries{Engine: eng}, Log: lg, Functions: fns,
		Config: map[string]string{"ksql.service.id": "test_", "ksql.schema.registry.basic.auth.user.info": "u:secretpw"},
		Logger: logger, SchemaRegistry: reg.Handler()}
	if mod != nil {
		mod(&opts)
	}
	srv, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.EnableHTTP2 = true
	hs.Start()
	t.Cleanup(func() {
		hs.CloseClientConnections()
		srv.Close()
		hs.Close()
		eng.Close()
		st.Close()
		lg.Close()
	})
	return &harness{t: t, srv: srv, http: hs, eng: eng, log: lg, reg: reg, logs: logs}
}

// lockedWriter serialises the logger's writes from concurrent handlers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.(*bytes.Buffer).String()
}

// post sends a JSON body and returns the status and decoded response.
func (h *harness) post(path string, body any) (int, any) {
	h.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case string:
		r = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		r = bytes.NewReader(data)
	}
	resp, err := http.Post(h.http.URL+path, "application/json", r)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out any
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			out = string(data)
		}
	}
	return resp.StatusCode, out
}

// ksql runs statements that must succeed and returns their entities.
func (h *harness) ksql(sql string) []any {
	h.t.Helper()
	code, out := h.post("/ksql", map[string]any{"ksql": sql})
	if code != http.StatusOK {
		h.t.Fatalf("/ksql %q: %d %v", sql, code, out)
	}
	arr, _ := out.([]any)
	return arr
}

// waitRows polls a pull query until it returns n rows.
func (h *harness) waitRows(sql string, n int) []any {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, out := h.post("/query", map[string]any{"ksql": sql})
		arr, _ := out.([]any)
		var rows []any
		for _, x := range arr {
			if m, ok := x.(map[string]any); ok && m["row"] != nil {
				rows = append(rows, m["row"].(map[string]any)["columns"])
			}
		}
		if code == 200 && len(rows) >= n {
			return rows
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: want %d rows, got %d %v", sql, n, code, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func field(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
