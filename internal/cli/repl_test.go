package cli_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/cli"
	"github.com/sluicedb/sluice/internal/server"
)

// newServer starts a real Sluice node behind httptest.
func newServer(t *testing.T) string {
	t.Helper()
	node, err := server.OpenNode(context.Background(), server.NodeOptions{Props: map[string]string{
		server.PropStateDir: t.TempDir(), server.PropSyncMode: "never",
	}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(node.Server.Handler())
	t.Cleanup(func() {
		hs.CloseClientConnections()
		node.Server.Close()
		hs.Close()
		node.Close()
	})
	return hs.URL
}

// lines is a LineReader over fixed input.
type lines struct {
	in      []string
	prompts []string
}

func (l *lines) Readline() (string, error) {
	if len(l.in) == 0 {
		return "", io.EOF
	}
	s := l.in[0]
	l.in = l.in[1:]
	return s, nil
}

func (l *lines) SetPrompt(p string) { l.prompts = append(l.prompts, p) }

// syncBuffer is written by the REPL while the test reads it.
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

func TestREPLSession(t *testing.T) {
	url := newServer(t)
	script := filepath.Join(t.TempDir(), "more.sql")
	os.WriteFile(script, []byte("INSERT INTO s (id, name) VALUES (2, 'bob');\nDESCRIBE s;\n"), 0o600)
	in := &lines{in: []string{
		"CREATE STREAM s (id INT KEY,",
		"  name STRING)",
		"  WITH (kafka_topic='s', value_format='json', partitions=1);",
		"INSERT INTO s (id, name) VALUES (1, 'alice');",
		"RUN SCRIPT '" + script + "';",
		"SHOW STREAMS;",
		"SET 'auto.offset.reset' = 'earliest';",
		"DEFINE src = 's';",
		"SELECT * FROM ${src};",
		"DROP STREAM nope;",
		"exit",
		"SHOW STREAMS;",
	}}
	out := &syncBuffer{}
	r := cli.New(cli.Options{Client: cli.NewClient(url, false), Out: out})
	if err := r.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		" Message\n----------------\n Stream created\n----------------\n",
		// The processing log's stream is there from the start, as in ksqlDB.
		" Stream Name         | Kafka Topic                 | Key Format | Value Format | Windowed\n" +
			"------------------------------------------------------------------------------------------\n" +
			" KSQL_PROCESSING_LOG | default_ksql_processing_log | KAFKA      | JSON         | false\n" +
			" S                   | s                           | KAFKA      | JSON         | false\n",
		" ID    | INTEGER (key)\n NAME  | VARCHAR(STRING)\n",
		"Successfully changed local property 'auto.offset.reset' to 'earliest'.\n",
		"+------------------+------------------+\n|ID                |NAME              |\n+------------------+------------------+\n" +
			"|1                 |alice             |\n|2                 |bob               |\n+------------------+------------------+\n",
		"Stream NOPE does not exist.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks\n%s\ngot\n%s", want, got)
		}
	}
	if strings.Count(got, "Stream Name") != 1 {
		t.Errorf("statements after exit ran:\n%s", got)
	}
	// The prompt changes while a statement spans lines.
	if strings.Join(in.prompts[:3], "|") != "sluice> |      > |      > " {
		t.Errorf("prompts %q", in.prompts[:3])
	}
}

func TestExecStopsAtFirstError(t *testing.T) {
	url := newServer(t)
	out := &syncBuffer{}
	r := cli.New(cli.Options{Client: cli.NewClient(url, false), Out: out})
	err := r.Exec(context.Background(), "SHOW STREAMS; DESCRIBE nope; SHOW TABLES")
	if err == nil || !cli.IsServerError(err) {
		t.Fatalf("want the server's error, got %v", err)
	}
	if strings.Contains(out.String(), "Table Name") {
		t.Errorf("ran past the error:\n%s", out)
	}
	if !strings.Contains(out.String(), "Could not find STREAM/TABLE 'NOPE'") {
		t.Errorf("error not in the server's words:\n%s", out)
	}
}

// TestPushQueryInterrupt runs a push query, waits for its rows and sends
// Ctrl-C: the query stops and the session goes on.
func TestPushQueryInterrupt(t *testing.T) {
	url := newServer(t)
	out := &syncBuffer{}
	sigs := make(chan os.Signal, 1)
	r := cli.New(cli.Options{Client: cli.NewClient(url, false), Out: out, Interrupts: sigs})
	ctx := context.Background()
	if err := r.Exec(ctx, "CREATE STREAM s (id INT KEY, name STRING) WITH (kafka_topic='s', value_format='json', partitions=1);"+
		"INSERT INTO s (id, name) VALUES (1, 'alice'); SET 'auto.offset.reset'='earliest';"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := r.Line(ctx, "SELECT * FROM s EMIT CHANGES;")
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "|alice") {
		if time.Now().After(deadline) {
			t.Fatalf("no row:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	sigs <- os.Interrupt
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("query did not stop")
	}
	if !strings.HasSuffix(out.String(), "Query terminated\n") {
		t.Errorf("output:\n%s", out)
	}
	if err := r.Exec(ctx, "SHOW STREAMS;"); err != nil {
		t.Errorf("session ended with the query: %v", err)
	}
}
