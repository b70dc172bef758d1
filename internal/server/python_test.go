package server_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pythonClient returns a Python with ksql-python-ng installed, in a
// virtualenv cached between runs so the test stays fast after the first.
func pythonClient(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed for the client test: %v", err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	venv := filepath.Join(cache, "sluice-test", "ksql-python-ng")
	vpy := filepath.Join(venv, "bin", "python")
	// ksql-python-ng passes cert= to httpx calls, which httpx 0.28 removed.
	check := "import ksql, h2, httpx; assert tuple(map(int, httpx.__version__.split('.')[:2])) < (0, 28)"
	if exec.Command(vpy, "-c", check).Run() == nil {
		return vpy
	}
	if out, err := exec.Command(py, "-m", "venv", venv).CombinedOutput(); err != nil {
		t.Fatalf("venv: %v\n%s", err, out)
	}
	if out, err := exec.Command(vpy, "-m", "pip", "install", "-q", "ksql-python-ng==0.29.0.1", "httpx<0.28").CombinedOutput(); err != nil {
		t.Fatalf("pip install ksql-python-ng: %v\n%s", err, out)
	}
	return vpy
}

// TestPythonClient drives the server with ksql-python-ng, a third-party
// ksqlDB client from PyPI: DDL, SHOW, inserts over HTTP/2, pull queries
// over /query and /query-stream, a push query, and an error.
func TestPythonClient(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: installs a client from PyPI")
	}
	py := pythonClient(t)
	h := newHarness(t, nil)
	out, err := exec.Command(py, "testdata/ksql_client.py", h.http.URL).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("client: %v\n%s\n%s", err, out, stderr)
	}
	var got struct {
		Version   string           `json:"version"`
		Create    []map[string]any `json:"create"`
		Streams   []map[string]any `json:"streams"`
		Acks      []map[string]any `json:"acks"`
		Pull      string           `json:"pull"`
		PullHTTP2 string           `json:"pull_http2"`
		Push      string           `json:"push"`
		Error     string           `json:"error"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client output %s: %v", out, err)
	}
	if got.Version == "" {
		t.Errorf("no version")
	}
	if len(got.Create) != 1 || field(got.Create[0], "commandStatus", "message") != "Stream created" {
		t.Errorf("create: %v", got.Create)
	}
	if len(got.Streams) != 1 || len(got.Streams[0]["streams"].([]any)) != 1 {
		t.Errorf("streams: %v", got.Streams)
	}
	if len(got.Acks) != 2 || got.Acks[1]["status"] != "ok" || got.Acks[1]["seq"] != float64(1) {
		t.Errorf("acks: %v", got.Acks)
	}
	for name, c := range map[string]struct{ text, want string }{
		"pull":       {got.Pull, `{"row":{"columns":["bob",2.25]}}`},
		"pull_http2": {got.PullHTTP2, `[3,"carol"]`},
		"push":       {got.Push, `{"row":{"columns":[3,"carol"]}}`},
	} {
		if !strings.Contains(c.text, c.want) {
			t.Errorf("%s: want %s in %s", name, c.want, c.text)
		}
	}
	if !strings.Contains(got.Push, "Limit Reached") || strings.Count(got.Push, `"row"`) != 3 {
		t.Errorf("push: %s", got.Push)
	}
	if !strings.Contains(got.Error, "Could not find STREAM/TABLE 'NOPE'") {
		t.Errorf("error: %q", got.Error)
	}
}
