package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/sluicedb/sluice/internal/conformance"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
)

// runEngineConformance runs each test on a fresh engine and prints one JSON
// line per test, then the totals.
func runEngineConformance(ctx context.Context, tests []conformance.Test, re *regexp.Regexp, ratchet string, update bool, eo engineOpts, stdout, stderr io.Writer) int {
	funcs := function.NewRegistry()
	if err := builtin.Register(funcs); err != nil {
		fmt.Fprintf(stderr, "sluice conformance: functions: %v\n", err)
		return 1
	}
	r := &conformance.Runner{Functions: funcs}
	switch eo.log {
	case "embedded":
	case "kafka":
		if eo.bootstrap == "" {
			fmt.Fprintf(stderr, "sluice conformance: --log kafka needs --bootstrap-servers or $SLUICE_KAFKA_BOOTSTRAP\n")
			return 2
		}
		lg, err := kafka.Open(ctx, kafka.Options{BootstrapServers: strings.Split(eo.bootstrap, ",")})
		if err != nil {
			fmt.Fprintf(stderr, "sluice conformance: %v\n", err)
			return 1
		}
		defer lg.Close()
		r.Kafka = lg
	default:
		fmt.Fprintf(stderr, "sluice conformance: --log %s: want embedded or kafka\n", eo.log)
		return 2
	}
	var selected []conformance.Test
	for _, t := range tests {
		if re == nil || re.MatchString(t.File+": "+t.Name) {
			selected = append(selected, t)
		}
	}
	results, wait := runParallel(ctx, r, selected, max(eo.parallel, 1))
	defer wait()
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	passed, failed, skipped := 0, 0, 0
	var passing, skipping []string
	for i, t := range selected {
		res, ok := <-results[i]
		if !ok || ctx.Err() != nil {
			fmt.Fprintf(stderr, "sluice conformance: %v\n", ctx.Err())
			return 1
		}
		switch {
		case res.Skipped:
			skipped++
			skipping = append(skipping, t.File+": "+t.Name)
		case res.OK:
			passed++
			passing = append(passing, t.File+": "+t.Name)
		default:
			failed++
		}
		if err := enc.Encode(res); err != nil {
			fmt.Fprintf(stderr, "sluice conformance: %v\n", err)
			return 1
		}
	}
	code := 0
	if ratchet != "" {
		if update {
			if err := writeRatchet(ratchet, passing); err != nil {
				fmt.Fprintf(stderr, "sluice conformance: %v\n", err)
				return 1
			}
		} else if regressed, err := checkRatchet(ratchet, passing, skipping); err != nil {
			fmt.Fprintf(stderr, "sluice conformance: %v\n", err)
			return 1
		} else if len(regressed) > 0 {
			for _, r := range regressed {
				fmt.Fprintf(stderr, "sluice conformance: regression: %s\n", r)
			}
			fmt.Fprintf(stderr, "sluice conformance: %d tests listed in %s no longer pass\n", len(regressed), ratchet)
			code = 1
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	return code
}

// engineOpts selects where the engine conformance tests run.
type engineOpts struct {
	log       string
	bootstrap string
	parallel  int
}

// runParallel runs tests on n workers; results[i] delivers test i's
// result, or closes without one if ctx ends first. wait returns once
// every worker has.
func runParallel(ctx context.Context, r *conformance.Runner, tests []conformance.Test, n int) (results []chan conformance.Result, wait func()) {
	results = make([]chan conformance.Result, len(tests))
	var wg sync.WaitGroup
	for i := range results {
		results[i] = make(chan conformance.Result, 1)
	}
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range tests {
			select {
			case next <- i:
			case <-ctx.Done():
				for j := i; j < len(tests); j++ {
					close(results[j])
				}
				return
			}
		}
	}()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] <- r.Run(ctx, tests[i])
			}
		}()
	}
	return results, wg.Wait
}

// writeRatchet records the passing tests, sorted, one per line.
func writeRatchet(path string, passing []string) error {
	sorted := append([]string(nil), passing...)
	sort.Strings(sorted)
	return os.WriteFile(path, []byte(strings.Join(sorted, "\n")+"\n"), 0o644)
}

// checkRatchet returns the listed tests that did not pass. A listed test
// that is now skipped (a ratchet written before disabled tests were
// skipped) is not a regression.
func checkRatchet(path string, passing, skipping []string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ok := make(map[string]bool, len(passing)+len(skipping))
	for _, p := range append(passing, skipping...) {
		// Some vector names end in spaces; lines are compared trimmed.
		ok[strings.TrimSpace(p)] = true
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !ok[line] {
			out = append(out, line)
		}
	}
	return out, nil
}
