package registry

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestREST drives the REST API with a real HTTP client. Each `request`
// gives "METHOD /path" on its first line and an optional JSON body after
// it; the output is the status and the body. `reset` starts over with an
// empty registry. Regenerate with -rewrite.
func TestREST(t *testing.T) {
	datadriven.Walk(t, "testdata/rest", func(t *testing.T, path string) {
		var srv *httptest.Server
		reset := func() {
			if srv != nil {
				srv.Close()
			}
			srv = httptest.NewServer(openTestRegistry(t, newTestLog(t)).Handler())
		}
		reset()
		defer func() { srv.Close() }()
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			switch td.Cmd {
			case "reset":
				reset()
				return ""
			case "request":
				return doRequest(t, srv.URL, td.Input)
			}
			t.Fatalf("unknown command %q", td.Cmd)
			return ""
		})
	})
}

func doRequest(t *testing.T, base, input string) string {
	t.Helper()
	line, body, _ := strings.Cut(input, "\n")
	method, path, ok := strings.Cut(strings.TrimSpace(line), " ")
	if !ok {
		t.Fatalf("request line %q: want METHOD /path", line)
	}
	var rd io.Reader
	if strings.TrimSpace(body) != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ContentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != ContentType {
		t.Errorf("%s %s: content type %q, want %q", method, path, ct, ContentType)
	}
	return resp.Status + "\n" + string(bytes.TrimSpace(b)) + "\n"
}
