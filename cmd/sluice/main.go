// Command sluice is the Sluice streaming ETL engine: one binary holding the
// ksqlDB-compatible server, its CLI, headless mode and the conformance runner.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// command is one subcommand. run returns the process exit code; usage errors
// return 2 so scripts can tell them from runtime failures.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"version", "print the version", runVersion},
		{"server", "run the ksqlDB-compatible server", runServer},
		{"cli", "the interactive SQL shell, against a server's REST API", runCLI},
		{"run", "headless mode: execute a file of statements and keep its queries running", runRun},
		{"migrate", "copy an embedded data directory's topics into Kafka", runMigrate},
		{"conformance", "run ksqlDB's query validation tests (QTT) against Sluice", runConformance},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: sluice <command> [flags] [args]\n\ncommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nrun 'sluice <command> -h' for a command's flags\n")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "sluice: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fmt.Fprintf(stdout, "sluice %s\n", version)
	return 0
}
