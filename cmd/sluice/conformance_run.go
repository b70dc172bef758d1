package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"

	"github.com/sluicedb/sluice/internal/conformance"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/builtin"
)

// runEngineConformance runs each test on a fresh engine and prints one JSON
// line per test, then the totals.
func runEngineConformance(ctx context.Context, tests []conformance.Test, re *regexp.Regexp, stdout, stderr io.Writer) int {
	funcs := function.NewRegistry()
	if err := builtin.Register(funcs); err != nil {
		fmt.Fprintf(stderr, "sluice conformance: functions: %v\n", err)
		return 1
	}
	r := &conformance.Runner{Functions: funcs}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	passed, failed := 0, 0
	for _, t := range tests {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "sluice conformance: %v\n", ctx.Err())
			return 1
		}
		if re != nil && !re.MatchString(t.File+": "+t.Name) {
			continue
		}
		res := r.Run(ctx, t)
		if res.OK {
			passed++
		} else {
			failed++
		}
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "sluice conformance: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	return 0
}
