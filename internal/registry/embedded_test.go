package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
)

// snapshot captures everything a client can observe, to compare a
// registry before and after a restart.
func snapshot(t *testing.T, r Registry) string {
	t.Helper()
	ctx := context.Background()
	out := ""
	subs, err := r.Subjects(ctx, ListOptions{Deleted: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		vs, _ := r.Versions(ctx, s, true)
		for _, v := range vs {
			ss, err := r.Version(ctx, s, v, true)
			if err != nil {
				t.Fatal(err)
			}
			out += fmt.Sprintf("%s v%d id=%d deleted=%v type=%s refs=%v %s\n", s, v, ss.ID, ss.Deleted, ss.Schema.Type, ss.Schema.References, ss.Schema.Text)
		}
		l, err := r.Compatibility(ctx, s, false)
		out += fmt.Sprintf("%s level=%s %v\n", s, l, err)
	}
	g, _ := r.Compatibility(ctx, "", false)
	return out + "global=" + string(g) + "\n"
}

// TestPersistence registers, closes the log, and reopens the registry from
// the same directory, first as written and then after the log's cleaner
// has compacted `_schemas`, as it will have on a long-running server.
func TestPersistence(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// Small segments, so there are closed segments to compact. The cleaner
	// only starts (fast) for the last phase, so that its first pass sees
	// the whole history. Tombstones keep their default retention: see
	// waitCompacted.
	opts := embedded.Options{SegmentBytes: 1024}
	log := openTestLog(t, dir, opts)
	r := openTestRegistry(t, log)
	mustRegister(t, r, "a-value", Schema{Text: avroV1})
	mustRegister(t, r, "a-value", Schema{Text: avroAddDef})
	mustRegister(t, r, "b-value", Schema{Text: avroV1})
	mustRegister(t, r, "p-value", Schema{Type: Protobuf, Text: protoV1})
	mustRegister(t, r, "j-value", Schema{Type: JSON, Text: jsonV1})
	line := `{"type":"record","name":"Line","fields":[{"name":"sku","type":"string"}]}`
	mustRegister(t, r, "line", Schema{Text: line})
	mustRegister(t, r, "order", Schema{Text: `{"type":"record","name":"Order","fields":[{"name":"l","type":"Line"}]}`,
		References: []Reference{{Name: "Line", Subject: "line", Version: 1}}})
	if err := r.SetCompatibility(ctx, "b-value", FullTransitive); err != nil {
		t.Fatal(err)
	}
	if _, err := r.DeleteVersion(ctx, "a-value", 1, false); err != nil {
		t.Fatal(err)
	}
	// The highest id goes away for good: the next id must still be new.
	top := mustRegister(t, r, "gone", Schema{Text: avroOptional})
	if _, err := r.DeleteSubject(ctx, "gone", false); err != nil {
		t.Fatal(err)
	}
	if _, err := r.DeleteSubject(ctx, "gone", true); err != nil {
		t.Fatal(err)
	}
	// Overwrite one key many times, so segments roll past the deletes and
	// compaction has superseded records to drop.
	for _, l := range []Level{Full, None, Backward, Forward, Full, None, Backward, Forward, Full, None, Backward, Forward} {
		if err := r.SetCompatibility(ctx, "", l); err != nil {
			t.Fatal(err)
		}
	}
	before := snapshot(t, r)

	for _, phase := range []string{"restart", "compacted"} {
		if phase == "compacted" {
			if err := log.Close(); err != nil {
				t.Fatal(err)
			}
			opts.RetentionCheckInterval = 10 * time.Millisecond
			log = openTestLog(t, dir, opts)
			waitCompacted(t, log)
		}
		if err := log.Close(); err != nil {
			t.Fatal(err)
		}
		log = openTestLog(t, dir, opts)
		again := openTestRegistry(t, log)
		if after := snapshot(t, again); after != before {
			t.Fatalf("%s: state after reopen differs:\n--- before\n%s--- after\n%s", phase, before, after)
		}
		// Dedup survives the restart, and ids keep increasing.
		if id, err := again.Register(ctx, "c-"+phase, Schema{Text: avroAddDef}); err != nil || id != 2 {
			t.Fatalf("%s: register known schema = %d, %v; want 2", phase, id, err)
		}
		s := fmt.Sprintf(`{"type":"record","name":"N_%s","fields":[]}`, phase)
		id, err := again.Register(ctx, "fresh-"+phase, Schema{Text: s})
		if err != nil || id <= top {
			t.Fatalf("%s: new id = %d, %v; want > %d", phase, id, err, top)
		}
		top = id
		before = snapshot(t, again)
	}
}

// waitCompacted waits until the cleaner has removed superseded records
// from `_schemas`, so that offsets skip.
//
// It does not wait for tombstones to go: the embedded log's compaction
// keeps a segment's last record even when a later one supersedes it, so
// once a tombstone is dropped the stale value before it is visible again
// (reported to the logstore owner). Kafka never does that, and the
// registry, like Confluent's, relies on it.
func waitCompacted(t *testing.T, log logstore.Log) {
	t.Helper()
	ctx := context.Background()
	tp := logstore.TopicPartition{Topic: "_schemas"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		offs, err := log.ListOffsets(ctx, tp)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := log.Fetch(ctx, tp, offs.Start, logstore.FetchOptions{MaxRecords: 10000, MaxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(recs)) < offs.End-offs.Start {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("_schemas holds all %d records after 20s: compaction did not run", len(recs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRecordLayout pins the `_schemas` records to Confluent's layout.
func TestRecordLayout(t *testing.T) {
	ctx := context.Background()
	log := newTestLog(t)
	r := openTestRegistry(t, log)
	mustRegister(t, r, "s", Schema{Type: Protobuf, Text: protoV1})
	if err := r.SetCompatibility(ctx, "", None); err != nil {
		t.Fatal(err)
	}
	recs, err := log.Fetch(ctx, logstore.TopicPartition{Topic: "_schemas"}, 0, logstore.FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]string
	for _, rec := range recs {
		got = append(got, [2]string{string(rec.Key), string(rec.Value)})
	}
	want := [][2]string{
		{`{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}`,
			`{"subject":"s","version":1,"id":1,"schemaType":"PROTOBUF","schema":` + mustQuote(protoV1) + `,"deleted":false}`},
		{`{"keytype":"CONFIG","subject":null,"magic":0}`, `{"compatibilityLevel":"NONE"}`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("records:\n%q\nwant\n%q", got, want)
	}
}

func mustQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestConcurrentRegister(t *testing.T) {
	r := openTestRegistry(t, newTestLog(t))
	const n = 32
	ids := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			subject := "shared"
			if i%2 == 1 {
				subject = fmt.Sprintf("s%d", i)
			}
			ids[i], errs[i] = r.Register(context.Background(), subject, Schema{Text: avroV1})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("goroutine %d: id %d, %v; want %d", i, ids[i], errs[i], ids[0])
		}
	}
	if vs, _ := r.Versions(context.Background(), "shared", false); len(vs) != 1 {
		t.Fatalf("versions of shared = %v, want one", vs)
	}
}

// TestSharedTopic opens two registries on one log, as two servers sharing
// a Kafka cluster would: each catches up before it writes, so ids stay
// unique and versions continue, and Sync brings a reader up to date.
func TestSharedTopic(t *testing.T) {
	ctx := context.Background()
	log := newTestLog(t)
	a := openTestRegistry(t, log)
	b := openTestRegistry(t, log)
	idA := mustRegister(t, a, "s", Schema{Text: avroV1})
	idB := mustRegister(t, b, "t", Schema{Text: avroOptional})
	if idA == idB {
		t.Fatalf("both registries assigned id %d", idA)
	}
	if id := mustRegister(t, b, "s", Schema{Text: avroAddDef}); id <= idB {
		t.Fatalf("id %d after %d", id, idB)
	}
	if vs, err := b.Versions(ctx, "s", false); err != nil || len(vs) != 2 {
		t.Fatalf("b sees versions %v, %v", vs, err)
	}
	_, err := a.Version(ctx, "t", 1, false)
	wantCode(t, err, ErrSubjectNotFound)
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := snapshot(t, a), snapshot(t, b); got != want {
		t.Fatalf("after Sync:\n%s\nwant\n%s", got, want)
	}
}
