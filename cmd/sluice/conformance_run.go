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

	"github.com/sluicedb/sluice/internal/conformance"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/builtin"
)

// runEngineConformance runs each test on a fresh engine and prints one JSON
// line per test, then the totals.
func runEngineConformance(ctx context.Context, tests []conformance.Test, re *regexp.Regexp, ratchet string, update bool, stdout, stderr io.Writer) int {
	funcs := function.NewRegistry()
	if err := builtin.Register(funcs); err != nil {
		fmt.Fprintf(stderr, "sluice conformance: functions: %v\n", err)
		return 1
	}
	r := &conformance.Runner{Functions: funcs}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	passed, failed := 0, 0
	var passing []string
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
			passing = append(passing, t.File+": "+t.Name)
		} else {
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
		} else if regressed, err := checkRatchet(ratchet, passing); err != nil {
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
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	return code
}

// writeRatchet records the passing tests, sorted, one per line.
func writeRatchet(path string, passing []string) error {
	sorted := append([]string(nil), passing...)
	sort.Strings(sorted)
	return os.WriteFile(path, []byte(strings.Join(sorted, "\n")+"\n"), 0o644)
}

// checkRatchet returns the listed tests that did not pass.
func checkRatchet(path string, passing []string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ok := make(map[string]bool, len(passing))
	for _, p := range passing {
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
