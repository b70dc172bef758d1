package format

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
)

// newTestRegistry is a real embedded schema registry over an embedded log
// in a temporary directory.
func newTestRegistry(t testing.TB) (Registry, registry.Registry) {
	t.Helper()
	l, err := embedded.Open(t.TempDir(), embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		t.Fatalf("open log: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	r, err := registry.Open(context.Background(), l, registry.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("open registry: %v", err)
	}
	return FromRegistry(r), r
}
