// Package conformance loads ksqlDB's query validation test (QTT) vectors and
// runs them against Sluice. It owns the vector file format (lenient JSON,
// format/config expansion) and the runners; it copies no vectors itself.
package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Test is one expanded test case. Every field of the vector is kept; fields
// whose shape varies between vectors stay as raw JSON for the runner that
// interprets them.
type Test struct {
	File string `json:"-"` // path relative to the loaded directory
	// Name is the test name, with " - FORMAT" / " - CONFIG" appended for
	// each expansion, as ksqlDB names its expanded cases.
	Name       string                     `json:"name"`
	Format     []string                   `json:"format,omitempty"`
	Config     []string                   `json:"config,omitempty"`
	Enabled    *bool                      `json:"enabled,omitempty"`
	Statements []string                   `json:"statements"`
	Properties map[string]json.RawMessage `json:"properties,omitempty"`
	Topics     []Topic                    `json:"topics,omitempty"`
	Inputs     []Record                   `json:"inputs,omitempty"`
	Outputs    []Record                   `json:"outputs,omitempty"`

	ExpectedException *ExpectedException `json:"expectedException,omitempty"`
	ExpectedError     *ExpectedError     `json:"expectedError,omitempty"`
	Responses         []json.RawMessage  `json:"responses,omitempty"`
	InputConditions   json.RawMessage    `json:"inputConditions,omitempty"`
	Post              *Post              `json:"post,omitempty"`

	// FormatValue and ConfigValue are the values substituted for {FORMAT}
	// and {CONFIG} in this expansion, empty when the vector had no list.
	FormatValue string `json:"-"`
	ConfigValue string `json:"-"`
	// Raw is the vector's JSON after substitution, for fields not modelled
	// here (comments, versions, issues, ...).
	Raw json.RawMessage `json:"-"`
}

// Topic is a topic the test creates before running.
type Topic struct {
	Name                  string          `json:"name"`
	Partitions            int             `json:"partitions,omitempty"`
	Replicas              int             `json:"replicas,omitempty"`
	KeyFormat             string          `json:"keyFormat,omitempty"`
	ValueFormat           string          `json:"valueFormat,omitempty"`
	Format                string          `json:"format,omitempty"`
	KeySchema             json.RawMessage `json:"keySchema,omitempty"`
	ValueSchema           json.RawMessage `json:"valueSchema,omitempty"`
	Schema                json.RawMessage `json:"schema,omitempty"`
	KeySchemaID           *int            `json:"keySchemaId,omitempty"`
	ValueSchemaID         *int            `json:"valueSchemaId,omitempty"`
	KeySchemaReferences   []SchemaRef     `json:"keySchemaReferences,omitempty"`
	ValueSchemaReferences []SchemaRef     `json:"valueSchemaReferences,omitempty"`
}

// SchemaRef is a schema a topic's schema imports, registered before it.
type SchemaRef struct {
	Name   string          `json:"name"`
	Format string          `json:"format"`
	Schema json.RawMessage `json:"schema"`
}

// Record is an input or expected output record. Key and Value are the
// logical JSON form; a JSON null is a null key or a tombstone, an absent
// Key is a null key too.
type Record struct {
	Topic     string          `json:"topic"`
	Key       json.RawMessage `json:"key,omitempty"`
	Value     json.RawMessage `json:"value"`
	Timestamp *int64          `json:"timestamp,omitempty"`
	Headers   json.RawMessage `json:"headers,omitempty"`
	Window    *Window         `json:"window,omitempty"`
}

// Window is a windowed record's bounds.
type Window struct {
	Start int64  `json:"start"`
	End   int64  `json:"end"`
	Type  string `json:"type,omitempty"`
}

// ExpectedException is a failure the statements must raise.
type ExpectedException struct {
	Type         string `json:"type,omitempty"`
	Message      string `json:"message,omitempty"`
	Cause        string `json:"cause,omitempty"`
	CauseMessage string `json:"causeMessage,omitempty"`
}

// ExpectedError is a REST test's expected failure.
type ExpectedError struct {
	Type    string `json:"type,omitempty"`
	Status  int    `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

// Post holds the checks made after a test runs.
type Post struct {
	Sources []PostSource    `json:"sources,omitempty"`
	Topics  json.RawMessage `json:"topics,omitempty"`
}

// PostSource describes a source that must exist after the run. The fields
// the runner compares are modelled; Raw keeps the rest.
type PostSource struct {
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Schema      string          `json:"schema,omitempty"`
	KeyFormat   json.RawMessage `json:"keyFormat,omitempty"`
	ValueFormat string          `json:"valueFormat,omitempty"`
	Raw         json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps the whole source object in Raw.
func (p *PostSource) UnmarshalJSON(b []byte) error {
	type plain PostSource
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = PostSource(v)
	p.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// Load reads every *.json file under dir, in lexical path order, and
// returns its tests with format and config lists expanded.
func Load(dir string) ([]Test, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".json") {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("conformance: walk %s: %w", dir, err)
	}
	sort.Strings(paths)
	var out []Test
	for _, p := range paths {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			rel = p
		}
		tests, err := LoadFile(p)
		if err != nil {
			return nil, err
		}
		for i := range tests {
			tests[i].File = filepath.ToSlash(rel)
		}
		out = append(out, tests...)
	}
	return out, nil
}

// ErrFormat marks a vector file that cannot be decoded.
var ErrFormat = errors.New("conformance: bad vector file")

// LoadFile reads one vector file and expands its tests. File is left empty
// for the caller to set.
func LoadFile(path string) ([]Test, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	var doc struct {
		Tests []json.RawMessage `json:"tests"`
	}
	if err := json.Unmarshal(CleanJSON(data), &doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, path, err)
	}
	var out []Test
	for i, raw := range doc.Tests {
		ts, err := expand(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: test %d: %v", ErrFormat, path, i, err)
		}
		out = append(out, ts...)
	}
	return out, nil
}

// expand turns one vector into one test per (format, config) combination,
// substituting {FORMAT} and {CONFIG} everywhere in the vector's values and
// suffixing the name with each value used.
func expand(raw json.RawMessage) ([]Test, error) {
	var head struct {
		Name   string   `json:"name"`
		Format []string `json:"format"`
		Config []string `json:"config"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, err
	}
	formats, configs := head.Format, head.Config
	if len(formats) == 0 {
		formats = []string{""}
	}
	if len(configs) == 0 {
		configs = []string{""}
	}
	var out []Test
	for _, f := range formats {
		for _, c := range configs {
			b := []byte(raw)
			if f != "" {
				b = substitute(b, "{FORMAT}", f)
			}
			if c != "" {
				b = substitute(b, "{CONFIG}", c)
			}
			var t Test
			if err := json.Unmarshal(b, &t); err != nil {
				return nil, err
			}
			t.Name = head.Name
			if f != "" {
				t.Name += " - " + f
			}
			if c != "" {
				t.Name += " - " + c
			}
			t.FormatValue, t.ConfigValue, t.Raw = f, c, b
			out = append(out, t)
		}
	}
	return out, nil
}

// substitute replaces a placeholder inside JSON text. The value is escaped
// as JSON string content, since placeholders only occur inside strings.
func substitute(b []byte, placeholder, value string) []byte {
	enc, _ := json.Marshal(value)
	return bytes.ReplaceAll(b, []byte(placeholder), enc[1:len(enc)-1])
}

// IsREST reports whether the test comes from the REST query validation
// suite, whose statements are sent as separate requests and whose
// expectations include REST responses.
func (t Test) IsREST() bool {
	return strings.HasPrefix(t.File, "rest-") || strings.Contains(t.File, "/rest-") ||
		t.Responses != nil || t.ExpectedError != nil
}
