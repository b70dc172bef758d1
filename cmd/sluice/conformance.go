package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"

	"github.com/sluicedb/sluice/internal/conformance"
	"github.com/sluicedb/sluice/internal/sql/parser"
)

func runConformance(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("conformance", stderr)
	parseOnly := fs.Bool("parse-only", false, "only parse each test's statements")
	filter := fs.String("filter", "", "run only tests whose \"file: name\" matches this regular expression")
	ratchet := fs.String("ratchet", "", "file listing tests that must pass (\"file: name\" per line); any of them failing fails the run")
	update := fs.Bool("update-ratchet", false, "rewrite the --ratchet file with the tests that passed")
	var eo engineOpts
	fs.StringVar(&eo.log, "log", "embedded", "log backend: embedded, or kafka (each test in a namespace of its own)")
	fs.StringVar(&eo.bootstrap, "bootstrap-servers", os.Getenv("SLUICE_KAFKA_BOOTSTRAP"), "Kafka host:port list for --log kafka (default $SLUICE_KAFKA_BOOTSTRAP)")
	fs.IntVar(&eo.parallel, "parallel", 1, "tests run at once; output keeps the tests' order")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: sluice conformance [--parse-only] [--filter REGEX] DIR\n\n"+
			"Runs ksqlDB's query validation tests found under DIR and prints one JSON line\n"+
			"per test, then \"N passed, N failed, N skipped\". Tests the vectors disable\n"+
			"(\"enabled\": false) are skipped, as ksqlDB's runner skips them.\n"+
			"With --parse-only, a test passes when its statements parse, or, if it\n"+
			"expects a failure, when parsing fails or the expected failure is not a\n"+
			"parse error.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	var re *regexp.Regexp
	if *filter != "" {
		var err error
		if re, err = regexp.Compile(*filter); err != nil {
			fmt.Fprintf(stderr, "sluice conformance: bad --filter: %v\n", err)
			return 2
		}
	}
	if st, err := os.Stat(fs.Arg(0)); err != nil || !st.IsDir() {
		fmt.Fprintf(stderr, "sluice conformance: %s is not a directory\n", fs.Arg(0))
		return 2
	}
	tests, err := conformance.Load(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "sluice conformance: %v\n", err)
		return 1
	}
	if !*parseOnly {
		return runEngineConformance(ctx, tests, re, *ratchet, *update, eo, stdout, stderr)
	}
	p := parser.New(parser.Options{})
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	passed, failed, skipped := 0, 0, 0
	for _, t := range tests {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "sluice conformance: %v\n", ctx.Err())
			return 1
		}
		if re != nil && !re.MatchString(t.File+": "+t.Name) {
			continue
		}
		r := conformance.ParseOnly(p, t)
		switch {
		case r.Skipped:
			skipped++
		case r.OK:
			passed++
		default:
			failed++
		}
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "sluice conformance: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	return 0
}
