package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sluicedb/sluice/internal/cli"
)

// runCLI is "sluice cli [URL]": the interactive shell, or with -e/--file a
// non-interactive run that exits non-zero at the first failed statement.
func runCLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("cli", stderr)
	execute := fs.String("execute", "", "run these statements and exit")
	fs.StringVar(execute, "e", "", "shorthand for --execute")
	file := fs.String("file", "", "run the statements in this file and exit")
	fs.StringVar(file, "f", "", "shorthand for --file")
	user := fs.String("user", "", "user for basic authentication")
	fs.StringVar(user, "u", "", "shorthand for --user")
	password := fs.String("password", "", "password for basic authentication (default $SLUICE_PASSWORD)")
	fs.StringVar(password, "p", "", "shorthand for --password")
	insecure := fs.Bool("insecure", false, "skip TLS certificate verification")
	history := fs.String("history", cli.DefaultHistoryFile(), "history file; empty keeps none")
	// Go's flag package stops at the first non-flag, so flags given after
	// the URL ("sluice cli http://h:8088 -e ...") are parsed again.
	if err := fs.Parse(args); err != nil {
		return 2
	}
	url := "http://localhost:8088"
	if fs.NArg() > 0 {
		url = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return 2
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "sluice cli: unexpected arguments %q\n", fs.Args())
			return 2
		}
	}
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	if *password == "" {
		*password = os.Getenv("SLUICE_PASSWORD")
	}
	client := cli.NewClient(url, *insecure)
	client.Username, client.Password = *user, *password
	// Ctrl-C belongs to the CLI: it stops a running query, never the
	// session, so the REPL runs apart from main's signal context.
	sessCtx := context.WithoutCancel(ctx)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	repl := cli.New(cli.Options{Client: client, Out: stdout, Interrupts: sigs})
	switch {
	case *execute != "":
		if repl.Exec(sessCtx, *execute) != nil {
			return 1
		}
		return 0
	case *file != "":
		data, err := os.ReadFile(*file)
		if err != nil {
			fmt.Fprintf(stderr, "sluice cli: %v\n", err)
			return 1
		}
		if repl.Exec(sessCtx, string(data)) != nil {
			return 1
		}
		return 0
	}
	term, err := cli.NewTerminal(os.Stdin, stdout, *history)
	if err != nil {
		fmt.Fprintf(stderr, "sluice cli: %v\n", err)
		return 1
	}
	defer term.Close()
	banner(sessCtx, client, url, stdout)
	// SIGTERM still ends the session.
	term2 := make(chan os.Signal, 1)
	signal.Notify(term2, syscall.SIGTERM)
	defer signal.Stop(term2)
	runCtx, cancel := context.WithCancel(sessCtx)
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		select {
		case <-term2:
			cancel()
			term.Close()
		case <-runCtx.Done():
		}
	}()
	// The watcher ends when the session does; wait for it before the
	// terminal is closed below.
	defer func() {
		cancel()
		<-watcher
	}()
	if err := repl.Run(runCtx, term); err != nil {
		fmt.Fprintf(stderr, "sluice cli: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "Exiting Sluice.")
	return 0
}

func banner(ctx context.Context, c *cli.Client, url string, w io.Writer) {
	info, err := c.Info(ctx)
	if err != nil {
		fmt.Fprintf(w, "WARNING: could not reach the server at %s: %v\n\n", url, err)
		return
	}
	ver := "?"
	if si, ok := info["KsqlServerInfo"].(map[string]any); ok {
		ver = fmt.Sprint(si["version"])
	}
	fmt.Fprintf(w, "Sluice CLI %s, server %s at %s\nType 'help' for help, 'exit' to leave.\n\n", version, ver, url)
}
