package main

import (
	"context"
	"fmt"
	"io"
)

func runConformance(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("conformance", stderr)
	parseOnly := fs.Bool("parse-only", false, "only parse each test's statements")
	_ = parseOnly
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fmt.Fprintln(stderr, "sluice conformance: not available yet")
	return 1
}
