package registry

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// authServer serves an embedded registry behind basic auth and counts the
// requests that reach it.
func authServer(t *testing.T, user, pass string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	h := openTestRegistry(t, newTestLog(t)).Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("Content-Type", ContentType)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error_code":401,"message":"Unauthorized"}`))
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestClientAuthAndCache(t *testing.T) {
	ctx := context.Background()
	srv, hits := authServer(t, "alice", "secret")

	anon, err := NewClient(ClientOptions{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = anon.Subjects(ctx, ListOptions{})
	wantCode(t, err, ErrUnauthorized)

	c, err := NewClient(ClientOptions{URL: srv.URL + "/", Username: "alice", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	id := mustRegister(t, c, "s", Schema{Text: avroV1})
	before := hits.Load()
	for range 5 {
		if again := mustRegister(t, c, "s", Schema{Text: avroV1}); again != id {
			t.Fatalf("cached register = %d, want %d", again, id)
		}
		if _, err := c.SchemaByID(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := hits.Load() - before; got != 1 {
		t.Fatalf("%d requests for repeated register and lookups by id, want 1 (the first id lookup)", got)
	}
	// After a delete the cache must not hide that registering again makes
	// a new version.
	if _, err := c.DeleteSubject(ctx, "s", false); err != nil {
		t.Fatal(err)
	}
	mustRegister(t, c, "s", Schema{Text: avroV1})
	if vs, err := c.Versions(ctx, "s", false); err != nil || len(vs) != 1 || vs[0] != 2 {
		t.Fatalf("versions after delete and re-register = %v, %v", vs, err)
	}
}

func TestClientFailoverAndTimeout(t *testing.T) {
	ctx := context.Background()
	// A port with nothing listening: the client moves on to the next URL.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	live := httptest.NewServer(openTestRegistry(t, newTestLog(t)).Handler())
	defer live.Close()
	c, err := NewClient(ClientOptions{URL: dead + ", " + live.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subjects(ctx, ListOptions{}); err != nil {
		t.Fatalf("failover: %v", err)
	}

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	c, err = NewClient(ClientOptions{URL: slow.URL, Timeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Subjects(ctx, ListOptions{})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
		t.Fatalf("slow server: error %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout took %v", d)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestClientErrorBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream exploded", http.StatusBadGateway)
	}))
	defer srv.Close()
	c, err := NewClient(ClientOptions{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SchemaByID(context.Background(), 1)
	var re *Error
	if !errors.As(err, &re) || re.Code != http.StatusBadGateway || re.Message != "upstream exploded" {
		t.Fatalf("error = %#v", err)
	}
	for _, bad := range []string{"", " , ", "::not a url"} {
		if _, err := NewClient(ClientOptions{URL: bad}); err == nil {
			t.Errorf("NewClient(%q) succeeded", bad)
		}
	}
}
