package bulk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/sluicedb/sluice/internal/connect/elasticsearch/bulk"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// index returns a fresh index name for t on the shared node and deletes
// the index when t ends.
func index(t *testing.T, url string) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	del := func() {
		req, _ := http.NewRequest(http.MethodDelete, url+"/"+name, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	del()
	t.Cleanup(del)
	return name
}

func count(t *testing.T, url, index string) int {
	t.Helper()
	get(t, url+"/"+index+"/_refresh", nil)
	var out struct {
		Count int `json:"count"`
	}
	get(t, url+"/"+index+"/_count", &out)
	return out.Count
}

func get(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s: %v: %s", url, err, body)
		}
	}
	return resp.StatusCode
}

func newWriter(t *testing.T, url string, opts bulk.Options) *bulk.Writer {
	t.Helper()
	c, err := bulk.NewClient(bulk.ClientConfig{URLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Probe(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := bulk.NewWriter(c, opts)
	t.Cleanup(func() { w.Close(); c.Close() })
	return w
}

func TestWriterIndexesDeletesAndVersions(t *testing.T) {
	url := testsvc.Search(t)
	idx := index(t, url)
	ctx := context.Background()
	w := newWriter(t, url, bulk.Options{BatchSize: 100, MaxInFlight: 3})
	const n = 5000
	for i := range n {
		src := fmt.Sprintf(`{"n":%d,"s":"x\"y"}`, i)
		if err := w.Add(ctx, bulk.Action{Op: bulk.OpIndex, Index: idx, ID: fmt.Sprint(i % 1000), Versioned: true, Version: int64(i), Source: []byte(src)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		if err := w.Add(ctx, bulk.Action{Op: bulk.OpDelete, Index: idx, ID: fmt.Sprint(i), Versioned: true, Version: n}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := count(t, url, idx); got != 990 {
		t.Fatalf("count = %d, want 990", got)
	}
	var doc struct {
		Source struct {
			N int `json:"n"`
		} `json:"_source"`
	}
	get(t, url+"/"+idx+"/_doc/999", &doc)
	if doc.Source.N != 4999 {
		t.Fatalf("doc 999 has n=%d, want the last write 4999", doc.Source.N)
	}
	// A stale write loses to the newer version and is not an error.
	// (Batches in flight together may already have been reordered; the
	// versions made those conflicts harmless too.)
	before := w.Stats()
	if err := w.Add(ctx, bulk.Action{Op: bulk.OpIndex, Index: idx, ID: "999", Versioned: true, Version: 3, Source: []byte(`{"n":-1}`)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if st := w.Stats(); st.Conflicts != before.Conflicts+1 || st.Failed != 0 {
		t.Fatalf("stats = %+v, want one more conflict than %+v", st, before)
	}
}

func TestWriterMalformed(t *testing.T) {
	url := testsvc.Search(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		tolerate bool
	}{{"reported", true}, {"fatal", false}} {
		t.Run(tc.name, func(t *testing.T) {
			idx := index(t, url)
			var mu sync.Mutex
			var failed []string
			w := newWriter(t, url, bulk.Options{BatchSize: 10, OnFailure: func(_ context.Context, a *bulk.Action, ie *bulk.ItemError) error {
				mu.Lock()
				defer mu.Unlock()
				if !ie.Malformed {
					return fmt.Errorf("not malformed: %w", ie)
				}
				failed = append(failed, a.ID)
				if !tc.tolerate {
					return ie
				}
				return nil
			}})
			// The first document maps n as a long; "abc" cannot be one.
			for i, src := range []string{`{"n":1}`, `{"n":"abc"}`, `{"n":3}`} {
				if err := w.Add(ctx, bulk.Action{Op: bulk.OpUpsert, Index: idx, ID: fmt.Sprint(i), Source: []byte(src)}); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					if err := w.Flush(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			err := w.Flush(ctx)
			if tc.tolerate && err != nil {
				t.Fatal(err)
			}
			if !tc.tolerate && !errors.Is(err, bulk.ErrRejected) {
				t.Fatalf("Flush = %v, want ErrRejected", err)
			}
			if len(failed) != 1 || failed[0] != "1" {
				t.Fatalf("failed = %v, want [1]", failed)
			}
			if got := count(t, url, idx); got != 2 {
				t.Fatalf("count = %d, want 2", got)
			}
		})
	}
}
