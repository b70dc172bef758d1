package main

import (
	"context"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/server"
)

// TestSluiceProcess is not a test: the tests below run the test binary
// as the sluice command through it, so no separate build is needed.
func TestSluiceProcess(t *testing.T) {
	if os.Getenv("SLUICE_TEST_PROCESS") != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	// Signals end the command as they do under main.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func sluiceCommand(args ...string) string {
	q := []string{shellQuote(os.Args[0]), "-test.run=^TestSluiceProcess$", "--"}
	for _, a := range args {
		q = append(q, shellQuote(a))
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestCLIInPseudoTerminal runs "sluice cli" in a pseudo-terminal made by
// script(1), types statements into it and checks the printed tables.
func TestCLIInPseudoTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: runs a subprocess in a pseudo-terminal")
	}
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Fatalf("script(1) is needed for the pseudo-terminal: %v", err)
	}
	node, err := server.OpenNode(context.Background(), server.NodeOptions{Props: map[string]string{
		server.PropStateDir: t.TempDir(), server.PropSyncMode: "never",
	}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(node.Server.Handler())
	defer func() {
		hs.CloseClientConnections()
		node.Server.Close()
		hs.Close()
		node.Close()
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, scriptBin, "-qfec", sluiceCommand("cli", hs.URL, "--history", ""), "/dev/null")
	cmd.Env = append(os.Environ(), "SLUICE_TEST_PROCESS=1", "TERM=dumb")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor := func(s string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), s) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in:\n%s", s, out)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	typeLine := func(s string) {
		t.Helper()
		if _, err := io.WriteString(stdin, s+"\r"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor("sluice> ")
	typeLine("CREATE STREAM riders (id INT KEY,")
	typeLine("  name STRING) WITH (kafka_topic='riders', value_format='json', partitions=1);")
	waitFor("Stream created")
	typeLine("INSERT INTO riders (id, name) VALUES (42, 'zed');")
	typeLine("SHOW STREAMS;")
	waitFor(" RIDERS              | riders                      | KAFKA      | JSON         | false")
	typeLine("SELECT * FROM riders;")
	waitFor("|42                |zed               |")
	typeLine("exit")
	waitFor("Exiting Sluice.")
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("cli: %v\n%s", err, out)
	}
}
