package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/server"
)

// runRun is "sluice run FILE.sql": ksqlDB's headless mode. It executes the
// file's statements, then keeps the queries running with the REST write
// API disabled until signalled.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("run", stderr)
	sf := addServerFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "usage: sluice run [flags] FILE.sql\n")
		return 2
	}
	props, err := sf.properties()
	if err != nil {
		fmt.Fprintf(stderr, "sluice run: %v\n", err)
		return 2
	}
	return headless(ctx, fs.Arg(0), props, sf.logger(stderr), stdout, stderr)
}

func headless(ctx context.Context, file string, props map[string]string, logger *slog.Logger, stdout, stderr io.Writer) int {
	text, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "sluice run: %v\n", err)
		return 1
	}
	node, err := server.OpenNode(ctx, server.NodeOptions{Props: props, Logger: logger, Version: version, Headless: true})
	if err != nil {
		fmt.Fprintf(stderr, "sluice run: %v\n", err)
		return 1
	}
	// One session for the whole file, so DEFINE and SET apply to the
	// statements after them, as in ksqlDB's queries file.
	sess := engine.NewSession()
	results, err := node.Engine.Execute(ctx, sess, string(text))
	if err != nil {
		node.Close()
		fmt.Fprintf(stderr, "sluice run: %s: %s\n", file, server.MaskSecrets(err.Error()))
		return 1
	}
	for _, r := range results {
		if r.QueryID != "" {
			logger.Info("query started", "query_id", r.QueryID)
		}
	}
	fmt.Fprintf(stdout, "Server started with query file %s. Interactive mode is disabled.\n", file)
	return serve(ctx, node, logger, stdout, stderr)
}
