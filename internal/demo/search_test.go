package demo_test

import (
	"net/http"
	"strings"
	"testing"
)

func deleteIndex(t testing.TB, searchURL, index string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, strings.TrimRight(searchURL, "/")+"/"+index, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
