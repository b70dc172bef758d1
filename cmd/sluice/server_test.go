package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer collects a subprocess's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listeningRE = regexp.MustCompile(`listening on (https?://[0-9.:]+)`)

// startSluice runs the sluice command as a subprocess and returns its
// base URL once it listens.
func startSluice(t *testing.T, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	return startSluiceWithin(t, 20*time.Second, args...)
}

// startSluiceWithin is startSluice for a server whose start takes longer,
// such as one that opens a Kafka cluster first.
func startSluiceWithin(t *testing.T, wait time.Duration, args ...string) (*exec.Cmd, string, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestSluiceProcess$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "SLUICE_TEST_PROCESS=1")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for {
		if m := listeningRE.FindStringSubmatch(out.String()); m != nil {
			return cmd, m[1], out
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("sluice did not start:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func postKsql(t *testing.T, url, sql string) (int, string) {
	t.Helper()
	resp, err := http.Post(url+"/ksql", "application/json", strings.NewReader(`{"ksql":`+quoteJSON(sql)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func quoteJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// TestServerConfigAndShutdown starts "sluice server" from a properties
// file, runs a statement, and stops it with SIGTERM: it must exit 0.
func TestServerConfigAndShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: runs the server as a subprocess")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ksql-server.properties")
	os.WriteFile(cfg, []byte("# test\nlisteners=http://127.0.0.1:0\nksql.service.id=svc_\nsluice.log.sync=never\n"), 0o600)
	cmd, url, out := startSluice(t, "server", "--config", cfg, "--data-dir", filepath.Join(dir, "data"))
	code, body := postKsql(t, url, "CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='s', value_format='json', partitions=1);")
	if code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	resp, err := http.Get(url + "/info")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(info), `"ksqlServiceId":"svc_"`) {
		t.Errorf("/info %s", info)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := waitExit(cmd, 20*time.Second); err != nil {
		t.Fatalf("server exit: %v\n%s", err, out)
	}

	// The catalog comes back after a restart.
	cmd, url, out = startSluice(t, "server", "--config", cfg, "--data-dir", filepath.Join(dir, "data"))
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := waitExit(cmd, 20*time.Second); err != nil {
			t.Errorf("server exit: %v\n%s", err, out)
		}
	}()
	code, body = postKsql(t, url, "SHOW STREAMS;")
	if code != 200 || !strings.Contains(body, `"name":"S"`) {
		t.Errorf("after restart: %d %s", code, body)
	}
}

func TestServerLogBackends(t *testing.T) {
	var out bytes.Buffer
	code := run(context.Background(), []string{"server", "--log", "tape", "--data-dir", t.TempDir()}, &out, &out)
	if code != 2 || !strings.Contains(out.String(), "embedded or kafka") {
		t.Errorf("--log tape: exit %d: %s", code, out.String())
	}
	out.Reset()
	code = run(context.Background(), []string{"server", "--log", "kafka", "--data-dir", t.TempDir()}, &out, &out)
	if code != 1 || !strings.Contains(out.String(), "ksql.streams.bootstrap.servers") {
		t.Errorf("--log kafka without brokers: exit %d: %s", code, out.String())
	}
}

// TestHeadlessRun runs a file of statements with a variable, checks the
// queries run and /ksql is refused, then signals the process.
func TestHeadlessRun(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: runs the server as a subprocess")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "app.sql")
	os.WriteFile(file, []byte(`DEFINE topic = 'input';
CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='${topic}', value_format='json', partitions=1);
CREATE STREAM upper AS SELECT id, UCASE(v) AS v FROM s;
INSERT INTO s (id, v) VALUES (1, 'x');
`), 0o600)
	cmd, url, out := startSluice(t, "run", "--listeners", "http://127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"),
		"--offset-reset", "earliest", file)
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := waitExit(cmd, 20*time.Second); err != nil {
			t.Errorf("exit: %v\n%s", err, out)
		}
	}()
	if code, body := postKsql(t, url, "SHOW STREAMS;"); code != http.StatusForbidden || !strings.Contains(body, "headless") {
		t.Errorf("/ksql in headless mode: %d %s", code, body)
	}
	// Queries still work, and see the persistent query's output.
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Post(url+"/query-stream", "application/json", strings.NewReader(`{"sql":"SELECT * FROM upper;"}`))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		var rows []string
		for sc.Scan() {
			rows = append(rows, sc.Text())
		}
		resp.Body.Close()
		if len(rows) == 2 && rows[1] == `[1,"X"]` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rows %q\n%s", rows, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitExit(cmd *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return context.DeadlineExceeded
	}
}
