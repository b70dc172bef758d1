package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConformanceParseOnly(t *testing.T) {
	dir := t.TempDir()
	vectors := `{"tests": [
	  {"name": "ok", "statements": ["SELECT * FROM s EMIT CHANGES;"]},
	  {"name": "bad", "statements": ["SELEC * FROM s;"]},
	  // expected to fail, and does
	  {"name": "expected", "statements": ["SELECT * FROM;"], "expectedException": {"type": "x.ParseFailedException"}},
	  // disabled: neither passes nor fails
	  {"name": "off", "enabled": false, "statements": ["SELEC * FROM s;"]},
	]}`
	if err := os.WriteFile(filepath.Join(dir, "v.json"), []byte(vectors), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args     []string
		code     int
		lastLine string
		lines    int
	}{
		{[]string{"--parse-only", dir}, 0, "2 passed, 1 failed, 1 skipped", 5},
		{[]string{"--parse-only", "--filter", "v.json: ok$", dir}, 0, "1 passed, 0 failed, 0 skipped", 2},
		{[]string{"--parse-only"}, 2, "", 0},
		{[]string{"--parse-only", "--filter", "(", dir}, 2, "", 0},
		{[]string{"--parse-only", filepath.Join(dir, "missing")}, 2, "", 0},
		{[]string{"--bogus", dir}, 2, "", 0},
	} {
		var stdout, stderr bytes.Buffer
		code := runConformance(context.Background(), tc.args, &stdout, &stderr)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d (stderr %s)", tc.args, code, tc.code, stderr.String())
			continue
		}
		if tc.code != 0 {
			continue
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		if len(lines) != tc.lines || lines[len(lines)-1] != tc.lastLine {
			t.Errorf("%v: output\n%s", tc.args, stdout.String())
		}
		if !strings.Contains(stdout.String(), `{"file":"v.json","name":"ok","ok":true}`) {
			t.Errorf("%v: missing the JSON line for test ok:\n%s", tc.args, stdout.String())
		}
	}
}
