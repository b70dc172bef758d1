package pebblestore_test

import (
	"log/slog"
	"os"
	"testing"

	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
	"github.com/sluicedb/sluice/internal/state/statetest"
)

func testOptions() pebblestore.Options {
	lvl := slog.LevelWarn
	if testing.Verbose() {
		lvl = slog.LevelInfo
	}
	return pebblestore.Options{
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})),
		CacheSize:    8 << 20,
		MemTableSize: 4 << 20,
	}
}

func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T, dir string) state.DB {
		db, err := pebblestore.Open(dir, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}
