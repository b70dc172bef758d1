package registry

import (
	"io"
	"log/slog"
	"testing"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openTestLog opens Sluice's embedded log in dir; it is closed when the
// test ends (Close is idempotent, so a test may close it earlier).
func openTestLog(t *testing.T, dir string, opts embedded.Options) *embedded.Log {
	t.Helper()
	l, err := embedded.Open(dir, opts)
	if err != nil {
		t.Fatalf("open embedded log: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// newBenchLog is newTestLog for benchmarks.
func newBenchLog(b *testing.B) logstore.Log {
	l, err := embedded.Open(b.TempDir(), embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		b.Fatalf("open embedded log: %v", err)
	}
	b.Cleanup(func() { _ = l.Close() })
	return l
}

// newTestLog is a fresh embedded log. Tests that do not restart skip
// fsync: durability is the persistence test's concern.
func newTestLog(t *testing.T) logstore.Log {
	return openTestLog(t, t.TempDir(), embedded.Options{Sync: embedded.SyncNever})
}
