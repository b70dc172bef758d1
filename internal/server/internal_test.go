package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sluicedb/sluice/internal/engine"
)

// TestPullClientForwardsCredentials checks that a pull read forwarded for
// an authenticated request carries its credentials, and one made without
// any carries none.
func TestPullClientForwardsCredentials(t *testing.T) {
	var gotUser, gotPass string
	var gotAuth bool
	var gotReq engine.PullRead
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != internalPullPath {
			http.NotFound(w, r)
			return
		}
		gotUser, gotPass, gotAuth = r.BasicAuth()
		if err := json.NewDecoder(r.Body).Decode(&gotReq); err != nil {
			t.Error(err)
		}
		writeJSON(w, http.StatusOK, pullReadResponse{Rows: []engine.StoredRow{{Key: []byte("k"), Val: []byte("v")}}})
	}))
	defer srv.Close()
	c := &PullClient{}
	req := &engine.PullRead{Table: "T", Reads: []engine.StoreRead{{Partition: 2, Get: []byte{1, 2}}}}

	rows, err := c.ReadRemote(context.Background(), srv.URL, req)
	if err != nil {
		t.Fatal(err)
	}
	if gotAuth || len(rows) != 1 || string(rows[0].Key) != "k" || string(rows[0].Val) != "v" {
		t.Fatalf("no credentials: auth sent %v, rows %v", gotAuth, rows)
	}
	if gotReq.Table != "T" || len(gotReq.Reads) != 1 || gotReq.Reads[0].Partition != 2 || string(gotReq.Reads[0].Get) != "\x01\x02" {
		t.Fatalf("request arrived as %+v", gotReq)
	}

	ctx := context.WithValue(context.Background(), credentialsKey{}, credentials{"alice", "s3cret"})
	if _, err := c.ReadRemote(ctx, srv.URL, req); err != nil {
		t.Fatal(err)
	}
	if !gotAuth || gotUser != "alice" || gotPass != "s3cret" {
		t.Fatalf("credentials: got %q/%q (%v), want alice/s3cret", gotUser, gotPass, gotAuth)
	}
}

// TestAuthPutsCredentialsInContext checks that the basic authentication
// wrapper hands the caller's credentials to the handler's context, where
// PullClient finds them.
func TestAuthPutsCredentialsInContext(t *testing.T) {
	a := &BasicAuth{Users: map[string]string{"alice": "s3cret"}}
	var got credentials
	h := a.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = r.Context().Value(credentialsKey{}).(credentials)
	}))
	r := httptest.NewRequest(http.MethodPost, internalPullPath, nil)
	r.SetBasicAuth("alice", "s3cret")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got != (credentials{"alice", "s3cret"}) {
		t.Fatalf("credentials in context: %+v", got)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, internalPullPath, nil))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("unauthenticated pull read: status %d, want 401", w.Code)
	}
}
