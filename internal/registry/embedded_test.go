package registry

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/sluicedb/sluice/internal/logstore"
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

func TestPersistence(t *testing.T) {
	ctx := context.Background()
	log := newMemLog()
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
	if err := r.SetCompatibility(ctx, "", Forward); err != nil {
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
	before := snapshot(t, r)

	for _, compact := range []bool{false, true} {
		if compact {
			log.compact("_schemas")
		}
		again := openTestRegistry(t, log)
		if after := snapshot(t, again); after != before {
			t.Fatalf("compact=%v: state after reopen differs:\n--- before\n%s--- after\n%s", compact, before, after)
		}
		// Dedup survives the restart, and ids keep increasing.
		if id, err := again.Register(ctx, "c-value", Schema{Text: avroAddDef}); err != nil || id != 2 {
			t.Fatalf("compact=%v: register known schema = %d, %v; want 2", compact, id, err)
		}
		s := fmt.Sprintf(`{"type":"record","name":"N%v","fields":[]}`, compact)
		if id, err := again.Register(ctx, fmt.Sprintf("fresh-%v", compact), Schema{Text: s}); err != nil || id <= top {
			t.Fatalf("compact=%v: new id = %d, %v; want > %d", compact, id, err, top)
		}
		before = snapshot(t, again)
	}
}

// TestRecordLayout pins the `_schemas` records to Confluent's layout.
func TestRecordLayout(t *testing.T) {
	ctx := context.Background()
	log := newMemLog()
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

func mustQuote(s string) string { return string(mustJSON(s)) }

func TestConcurrentRegister(t *testing.T) {
	r := openTestRegistry(t, newMemLog())
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
