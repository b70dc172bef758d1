package bulk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect/elasticsearch/bulk"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// setBlock puts or lifts the block a full disk puts on an index: writes
// to it are answered 429, which the writer must retry.
func setBlock(t *testing.T, url, idx string, on bool) {
	t.Helper()
	body := fmt.Sprintf(`{"index.blocks.read_only_allow_delete":%v}`, on)
	if !on {
		body = `{"index.blocks.read_only_allow_delete":null}`
	}
	req, _ := http.NewRequest(http.MethodPut, url+"/"+idx+"/_settings", bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("set block: HTTP %d", resp.StatusCode)
	}
}

func TestWriterRetriesTooManyRequests(t *testing.T) {
	url := testsvc.Search(t)
	ctx := context.Background()
	add := func(w *bulk.Writer, idx string) {
		for i := range 100 {
			if err := w.Add(ctx, bulk.Action{Op: bulk.OpIndex, Index: idx, ID: fmt.Sprint(i), Source: []byte(`{"x":1}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	create := func(idx string) {
		req, _ := http.NewRequest(http.MethodPut, url+"/"+idx, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		// The block allows deletes, so the index's own clean-up removes it.
		setBlock(t, url, idx, true)
	}
	t.Run("recovers", func(t *testing.T) {
		idx := index(t, url)
		create(idx)
		w := newWriter(t, url, bulk.Options{MaxRetries: 20, RetryBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
		add(w, idx)
		done := make(chan error, 1)
		go func() { done <- w.Flush(ctx) }()
		time.Sleep(time.Second)
		setBlock(t, url, idx, false)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := count(t, url, idx); got != 100 {
			t.Fatalf("count = %d, want 100", got)
		}
		if st := w.Stats(); st.Retries == 0 {
			t.Fatalf("stats = %+v, want retries", st)
		}
	})
	t.Run("exhausted", func(t *testing.T) {
		idx := index(t, url)
		create(idx)
		w := newWriter(t, url, bulk.Options{MaxRetries: 2, RetryBackoff: 10 * time.Millisecond})
		add(w, idx)
		err := w.Flush(ctx)
		var ie *bulk.ItemError
		if !errors.Is(err, bulk.ErrRejected) || !errors.As(err, &ie) || ie.Status != http.StatusTooManyRequests || ie.Attempts != 3 || ie.Malformed {
			t.Fatalf("Flush = %v (%+v), want a 429 rejected after 3 attempts", err, ie)
		}
	})
}
