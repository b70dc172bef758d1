package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/conformance"
	"github.com/sluicedb/sluice/internal/function/builtin"
)

// TestRESTConformance runs ksqlDB's REST vectors through the conformance
// runner, which serves this package's server on a real listener and
// drives it over HTTP (conformance/rest.go); `sluice conformance` runs the
// same. The suite takes minutes, so it runs when asked: SLUICE_REST_QTT=1,
// optionally SLUICE_REST_QTT_FILE to pick files and SLUICE_REST_QTT_VERBOSE=1
// to list failures. The vectors live beside the checkout (SLUICE_QTT_DIR
// overrides); their absence is reported, not failed.
func TestRESTConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: runs hundreds of vectors")
	}
	if os.Getenv("SLUICE_REST_QTT") == "" && os.Getenv("SLUICE_REST_QTT_FILE") == "" {
		t.Log("set SLUICE_REST_QTT=1 to run ksqlDB's REST vectors")
		return
	}
	dir := filepath.Join("..", "..", "..", "shared", "conformance", "qtt", "rest-query-validation-tests")
	if d := os.Getenv("SLUICE_QTT_DIR"); d != "" {
		dir = filepath.Join(d, "rest-query-validation-tests")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Logf("REST vectors not found at %s (set SLUICE_QTT_DIR): %v", dir, err)
		return
	}
	tests, err := conformance.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range tests {
		// The runner tells REST vectors by their directory.
		tests[i].File = "rest-query-validation-tests/" + tests[i].File
	}
	r := &conformance.Runner{Functions: builtin.New(), TempDir: t.TempDir()}
	passed, total, failed := 0, 0, map[string]int{}
	for _, tc := range tests {
		if tc.Disabled() {
			continue
		}
		if f := os.Getenv("SLUICE_REST_QTT_FILE"); f != "" && !strings.Contains(tc.File, f) {
			continue
		}
		total++
		res := r.Run(context.Background(), tc)
		if res.OK {
			passed++
			continue
		}
		failed[tc.File]++
		if os.Getenv("SLUICE_REST_QTT_VERBOSE") != "" {
			t.Logf("%s / %s: %s", tc.File, tc.Name, res.Error)
		}
	}
	t.Logf("REST conformance: %d of %d passed; failures by file: %v", passed, total, failed)
}
