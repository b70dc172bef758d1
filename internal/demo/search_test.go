package demo_test

import (
	"context"
	"testing"

	"github.com/sluicedb/sluice/internal/demo"
)

func deleteIndex(t testing.TB, searchURL, index string) {
	t.Helper()
	if err := demo.DeleteIndex(context.Background(), searchURL, index); err != nil {
		t.Fatal(err)
	}
}
