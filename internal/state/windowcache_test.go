package state_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
)

// TestWindowCacheMatchesStore drives window stores that retain duplicates
// with and without their in-memory index through the same random puts,
// fetches, commits, discards and reopenings, and checks that every fetch
// returns the same windows. The indexed stores use budgets small enough to
// evict segments, and reopening makes them read the segments written
// before from the store.
func TestWindowCacheMatchesStore(t *testing.T) {
	for _, budget := range []int64{0, 3 << 20, 1} {
		t.Run(fmt.Sprintf("budget=%d", budget), func(t *testing.T) {
			for seed := range uint64(5) {
				testWindowCacheMatches(t, seed, budget)
			}
		})
	}
}

func testWindowCacheMatches(t *testing.T, seed uint64, budget int64) {
	rng := rand.New(rand.NewPCG(seed, uint64(budget)))
	db, err := pebblestore.Open("", pebblestore.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	b := db.NewBatch()
	defer b.Close()
	stores := make([]state.Store, 2)
	for i := range stores {
		if stores[i], err = db.Store(fmt.Sprintf("w%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	opts := func(cache int64) state.WindowOptions {
		return state.WindowOptions{
			SegmentOptions:   state.SegmentOptions{Retention: 100, SegmentInterval: 20},
			RetainDuplicates: true,
			CacheBytes:       cache,
		}
	}
	var cached, plain *state.WindowStore
	reopen := func() {
		if cached, err = state.NewWindowStore(b.Store(stores[0]), opts(budget)); err != nil {
			t.Fatal(err)
		}
		if plain, err = state.NewWindowStore(b.Store(stores[1]), opts(-1)); err != nil {
			t.Fatal(err)
		}
	}
	reopen()
	render := func(it *state.WindowIterator, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for it.Next() {
			out = append(out, fmt.Sprintf("%s@%d=%s", it.Key(), it.Start(), it.Value()))
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, " ")
	}
	now := int64(0)
	for step := range 2000 {
		switch op := rng.IntN(100); {
		case op < 60:
			// Mostly in order, some late, a few too late to keep.
			now += int64(rng.IntN(3))
			ts := now - int64(rng.IntN(30))
			if rng.IntN(20) == 0 {
				ts = now - 150
			}
			key := []byte(fmt.Sprintf("k%d", rng.IntN(5)))
			if rng.IntN(10) == 0 {
				key = append(key, 0, 0xff) // escapes in the stored key
			}
			val := []byte(fmt.Sprintf("v%d", step))
			e1, e2 := cached.Put(key, ts, val), plain.Put(key, ts, val)
			if (e1 == nil) != (e2 == nil) {
				t.Fatalf("seed %d step %d: put %s@%d: %v vs %v", seed, step, key, ts, e1, e2)
			}
		case op < 88:
			key := []byte(fmt.Sprintf("k%d", rng.IntN(5)))
			from := now - int64(rng.IntN(130))
			to := from + int64(rng.IntN(60))
			back := rng.IntN(4) == 0
			fetch := (*state.WindowStore).Fetch
			if back {
				fetch = (*state.WindowStore).FetchBackward
			}
			got, want := render(fetch(cached, key, from, to)), render(fetch(plain, key, from, to))
			if got != want {
				t.Fatalf("seed %d step %d: fetch %s [%d,%d] backward=%v:\n cached %s\n store  %s", seed, step, key, from, to, back, got, want)
			}
		case op < 94:
			if err := b.Commit(false); err != nil {
				t.Fatal(err)
			}
		case op < 97:
			if err := b.Discard(); err != nil {
				t.Fatal(err)
			}
		default:
			// A restart: new window stores over what was committed.
			if err := b.Discard(); err != nil {
				t.Fatal(err)
			}
			reopen()
		}
	}
}
