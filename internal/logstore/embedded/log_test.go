package embedded

import (
	"testing"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/logstoretest"
)

func openTest(t testing.TB, dir string, opts Options) *Log {
	t.Helper()
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestConformance(t *testing.T) {
	modes := []struct {
		name string
		opts Options
	}{
		{"always", Options{}},
		// Tiny segments and index intervals push every test through
		// segment rolls and index lookups.
		{"never-small-segments", Options{Sync: SyncNever, SegmentBytes: 1024, IndexIntervalBytes: 64}},
		{"interval", Options{Sync: SyncInterval}},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			logstoretest.Run(t, func(t *testing.T) logstore.Log {
				return openTest(t, t.TempDir(), m.opts)
			})
		})
	}
}
