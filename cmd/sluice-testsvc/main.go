// Command sluice-testsvc starts and stops the real services Sluice's tests
// and demo use (PostgreSQL, Kafka, OpenSearch, FerretDB), through
// internal/testsvc. It is a developer tool and is never linked into
// cmd/sluice.
//
//	sluice-testsvc up [postgres|kafka|search|mongo|all]...
//	sluice-testsvc down [postgres|kafka|search|mongo|all]...
//	sluice-testsvc status
//	sluice-testsvc env        # eval "$(sluice-testsvc env)"
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/sluicedb/sluice/internal/testsvc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sluice-testsvc:", err)
		os.Exit(1)
	}
}

const usage = `usage: sluice-testsvc up|down [postgres|kafka|search|mongo|all]...
       sluice-testsvc status|env`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	o := testsvc.Options{Logger: slog.New(slog.NewTextHandler(stderr, nil))}
	names, err := parseNames(args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "up":
		began := time.Now()
		sts, err := testsvc.Start(ctx, o, names...)
		printStates(stdout, sts)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "ready in %s\n", time.Since(began).Round(time.Millisecond))
		return nil
	case "down":
		return testsvc.Stop(ctx, o, names...)
	case "status":
		sts, err := testsvc.Status(ctx, o, names...)
		printStates(stdout, sts)
		if err != nil {
			fmt.Fprintln(stdout, err)
		}
		return nil
	case "env":
		sts, err := testsvc.Status(ctx, o, names...)
		for _, line := range testsvc.Exports(sts) {
			fmt.Fprintln(stdout, line)
		}
		if len(sts) == 0 && err != nil {
			return err
		}
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func parseNames(args []string) ([]testsvc.Name, error) {
	var names []testsvc.Name
	for _, a := range args {
		if a == "all" {
			return nil, nil
		}
		n := testsvc.Name(strings.ToLower(a))
		known := false
		for _, k := range testsvc.Names() {
			known = known || k == n
		}
		if !known {
			return nil, fmt.Errorf("%w: %q\n%s", testsvc.ErrUnknownService, a, usage)
		}
		names = append(names, n)
	}
	return names, nil
}

func printStates(w io.Writer, sts map[testsvc.Name]*testsvc.State) {
	names := make([]string, 0, len(sts))
	for n := range sts {
		names = append(names, string(n))
	}
	sort.Strings(names)
	for _, n := range names {
		st := sts[testsvc.Name(n)]
		fmt.Fprintf(w, "%-8s %-8s pid %-7d %s\n%8s log %s\n", n, st.Version, st.PID, st.URL, "", st.Log)
	}
}
