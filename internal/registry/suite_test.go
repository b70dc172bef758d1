package registry

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/sluicedb/sluice/internal/logstore"
)

// registryFactories builds every Registry implementation over a fresh
// embedded registry: the Embedded itself, and a Client talking to its REST
// API, so both sides of the interface are held to the same contract.
func registryFactories() map[string]func(t *testing.T) Registry {
	return map[string]func(t *testing.T) Registry{
		"embedded": func(t *testing.T) Registry { return openTestRegistry(t, newTestLog(t)) },
		"client": func(t *testing.T) Registry {
			srv := httptest.NewServer(openTestRegistry(t, newTestLog(t)).Handler())
			t.Cleanup(srv.Close)
			c, err := NewClient(ClientOptions{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
	}
}

func openTestRegistry(t *testing.T, log logstore.Log) *Embedded {
	t.Helper()
	e, err := Open(context.Background(), log, Options{Logger: discardLogger()})
	if err != nil {
		t.Fatalf("open registry: %v", err)
	}
	return e
}

func TestRegistryContract(t *testing.T) {
	for name, mk := range registryFactories() {
		t.Run(name, func(t *testing.T) {
			t.Run("register", func(t *testing.T) { testRegister(t, mk(t)) })
			t.Run("delete", func(t *testing.T) { testDelete(t, mk(t)) })
			t.Run("config", func(t *testing.T) { testConfig(t, mk(t)) })
			t.Run("references", func(t *testing.T) { testReferences(t, mk(t)) })
		})
	}
}

func wantCode(t *testing.T, err error, sentinel *Error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, want code %d", err, sentinel.Code)
	}
}

func testRegister(t *testing.T, r Registry) {
	ctx := context.Background()
	avro1 := Schema{Text: avroV1}
	id1, err := r.Register(ctx, "orders-value", avro1)
	if err != nil || id1 != 1 {
		t.Fatalf("register = %d, %v; want id 1", id1, err)
	}
	// Idempotent: the same schema, even reformatted, is the same version.
	again, err := r.Register(ctx, "orders-value", Schema{Type: Avro, Text: "{ \"fields\": [ {\"type\": \"long\", \"name\": \"id\"} ], \"name\": \"Order\", \"type\": \"record\" }"})
	if err != nil || again != id1 {
		t.Fatalf("re-register = %d, %v; want %d", again, err, id1)
	}
	id2, err := r.Register(ctx, "orders-value", Schema{Text: avroAddDef})
	if err != nil || id2 != 2 {
		t.Fatalf("register v2 = %d, %v", id2, err)
	}
	// The same schema under another subject keeps its id.
	if id, err := r.Register(ctx, "other-value", avro1); err != nil || id != id1 {
		t.Fatalf("register under other subject = %d, %v; want %d", id, err, id1)
	}
	_, err = r.Register(ctx, "orders-value", Schema{Text: avroTypeBreak})
	wantCode(t, err, ErrIncompatibleSchema)
	_, err = r.Register(ctx, "orders-value", Schema{Text: `{"type":"record"}`})
	wantCode(t, err, ErrInvalidSchema)

	vs, err := r.Versions(ctx, "orders-value", false)
	if err != nil || !slices.Equal(vs, []int{1, 2}) {
		t.Fatalf("versions = %v, %v", vs, err)
	}
	latest, err := r.Version(ctx, "orders-value", Latest, false)
	if err != nil || latest.Version != 2 || latest.ID != id2 || latest.Schema.Text != avroAddDef || latest.Schema.Type != Avro {
		t.Fatalf("latest = %+v, %v", latest, err)
	}
	_, err = r.Version(ctx, "orders-value", 7, false)
	wantCode(t, err, ErrVersionNotFound)
	_, err = r.Version(ctx, "nope", 1, false)
	wantCode(t, err, ErrSubjectNotFound)

	s, err := r.SchemaByID(ctx, id1)
	if err != nil || s.Text != avroV1 {
		t.Fatalf("schema by id = %+v, %v", s, err)
	}
	_, err = r.SchemaByID(ctx, 99)
	wantCode(t, err, ErrSchemaNotFound)
	subs, err := r.SubjectsByID(ctx, id1, false)
	if err != nil || !slices.Equal(subs, []string{"orders-value", "other-value"}) {
		t.Fatalf("subjects by id = %v, %v", subs, err)
	}
	svs, err := r.VersionsByID(ctx, id1, false)
	if err != nil || len(svs) != 2 || svs[0] != (SubjectVersion{"orders-value", 1}) {
		t.Fatalf("versions by id = %v, %v", svs, err)
	}
	all, err := r.Subjects(ctx, ListOptions{})
	if err != nil || !slices.Equal(all, []string{"orders-value", "other-value"}) {
		t.Fatalf("subjects = %v, %v", all, err)
	}
	pre, err := r.Subjects(ctx, ListOptions{Prefix: "oth"})
	if err != nil || !slices.Equal(pre, []string{"other-value"}) {
		t.Fatalf("subjects with prefix = %v, %v", pre, err)
	}

	found, err := r.Lookup(ctx, "orders-value", avro1, false)
	if err != nil || found.Version != 1 || found.ID != id1 {
		t.Fatalf("lookup = %+v, %v", found, err)
	}
	_, err = r.Lookup(ctx, "orders-value", Schema{Text: avroOptional}, false)
	wantCode(t, err, ErrSchemaNotFound)
	_, err = r.Lookup(ctx, "nope", avro1, false)
	wantCode(t, err, ErrSubjectNotFound)

	res, err := r.CheckCompatibility(ctx, "orders-value", Latest, Schema{Text: avroTypeBreak})
	if err != nil || res.Compatible || len(res.Messages) == 0 {
		t.Fatalf("check incompatible = %+v, %v", res, err)
	}
	res, err = r.CheckCompatibility(ctx, "orders-value", 0, Schema{Text: avroOptional})
	if err != nil || !res.Compatible {
		t.Fatalf("check compatible = %+v, %v", res, err)
	}
	res, err = r.CheckCompatibility(ctx, "fresh-value", Latest, Schema{Text: avroOptional})
	if err != nil || !res.Compatible {
		t.Fatalf("check against no subject = %+v, %v", res, err)
	}

	// Protobuf and JSON carry their type through.
	pid, err := r.Register(ctx, "p-value", Schema{Type: Protobuf, Text: protoV1})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := r.SchemaByID(ctx, pid)
	if err != nil || ps.Type != Protobuf || ps.Text != protoV1 {
		t.Fatalf("protobuf by id = %+v, %v", ps, err)
	}
	jid, err := r.Register(ctx, "j-value", Schema{Type: JSON, Text: jsonV1})
	if err != nil || jid == pid {
		t.Fatalf("json register = %d, %v", jid, err)
	}
}

func testDelete(t *testing.T, r Registry) {
	ctx := context.Background()
	mustRegister(t, r, "s", Schema{Text: avroV1})
	mustRegister(t, r, "s", Schema{Text: avroAddDef})

	_, err := r.DeleteVersion(ctx, "s", 1, true)
	wantCode(t, err, ErrVersionNotSoftDeleted)
	if v, err := r.DeleteVersion(ctx, "s", 1, false); err != nil || v != 1 {
		t.Fatalf("soft delete version = %d, %v", v, err)
	}
	_, err = r.DeleteVersion(ctx, "s", 1, false)
	wantCode(t, err, ErrVersionSoftDeleted)
	if vs, _ := r.Versions(ctx, "s", false); !slices.Equal(vs, []int{2}) {
		t.Fatalf("versions after soft delete = %v", vs)
	}
	if vs, _ := r.Versions(ctx, "s", true); !slices.Equal(vs, []int{1, 2}) {
		t.Fatalf("versions with deleted = %v", vs)
	}
	if _, err := r.Version(ctx, "s", 1, true); err != nil {
		t.Fatalf("soft-deleted version with deleted=true: %v", err)
	}
	if v, err := r.DeleteVersion(ctx, "s", 1, true); err != nil || v != 1 {
		t.Fatalf("permanent delete version = %d, %v", v, err)
	}
	_, err = r.DeleteVersion(ctx, "s", 1, true)
	wantCode(t, err, ErrVersionNotFound)

	_, err = r.DeleteSubject(ctx, "s", true)
	wantCode(t, err, ErrSubjectNotSoftDeleted)
	if vs, err := r.DeleteSubject(ctx, "s", false); err != nil || !slices.Equal(vs, []int{2}) {
		t.Fatalf("soft delete subject = %v, %v", vs, err)
	}
	_, err = r.DeleteSubject(ctx, "s", false)
	wantCode(t, err, ErrSubjectSoftDeleted)
	_, err = r.Versions(ctx, "s", false)
	wantCode(t, err, ErrSubjectNotFound)
	if subs, _ := r.Subjects(ctx, ListOptions{}); len(subs) != 0 {
		t.Fatalf("subjects after soft delete = %v", subs)
	}
	if subs, _ := r.Subjects(ctx, ListOptions{Deleted: true}); !slices.Equal(subs, []string{"s"}) {
		t.Fatalf("subjects with deleted = %v", subs)
	}
	// A soft-deleted schema keeps its id; registering it again makes a
	// new version with the same id.
	id, err := r.Register(ctx, "s", Schema{Text: avroAddDef})
	if err != nil || id != 2 {
		t.Fatalf("re-register after soft delete = %d, %v", id, err)
	}
	if vs, _ := r.Versions(ctx, "s", false); !slices.Equal(vs, []int{3}) {
		t.Fatalf("versions after re-register = %v", vs)
	}
	if _, err := r.DeleteSubject(ctx, "s", false); err != nil {
		t.Fatal(err)
	}
	if vs, err := r.DeleteSubject(ctx, "s", true); err != nil || !slices.Equal(vs, []int{2, 3}) {
		t.Fatalf("permanent delete subject = %v, %v", vs, err)
	}
	_, err = r.DeleteSubject(ctx, "s", false)
	wantCode(t, err, ErrSubjectNotFound)
	_, err = r.SchemaByID(ctx, 2)
	wantCode(t, err, ErrSchemaNotFound)
	// Ids are never reused, even once their schema is gone.
	if id := mustRegister(t, r, "t", Schema{Text: avroOptional}); id != 3 {
		t.Fatalf("id after permanent delete = %d, want 3", id)
	}
}

func testConfig(t *testing.T, r Registry) {
	ctx := context.Background()
	if l, err := r.Compatibility(ctx, "", false); err != nil || l != Backward {
		t.Fatalf("global default = %v, %v", l, err)
	}
	_, err := r.Compatibility(ctx, "s", false)
	wantCode(t, err, ErrSubjectCompatNotSet)
	if l, err := r.Compatibility(ctx, "s", true); err != nil || l != Backward {
		t.Fatalf("fallback = %v, %v", l, err)
	}
	if err := r.SetCompatibility(ctx, "s", None); err != nil {
		t.Fatal(err)
	}
	if l, _ := r.Compatibility(ctx, "s", false); l != None {
		t.Fatalf("subject level = %v", l)
	}
	wantCode(t, r.SetCompatibility(ctx, "", "SIDEWAYS"), ErrInvalidCompatibility)
	mustRegister(t, r, "s", Schema{Text: avroV1})
	mustRegister(t, r, "s", Schema{Text: avroTypeBreak}) // NONE allows it
	if l, err := r.DeleteCompatibility(ctx, "s"); err != nil || l != None {
		t.Fatalf("delete subject level = %v, %v", l, err)
	}
	_, err = r.Register(ctx, "s", Schema{Text: avroV1})
	if err != nil {
		t.Fatalf("v1 is still a version of s, so registering it is a no-op: %v", err)
	}
	if err := r.SetCompatibility(ctx, "", Full); err != nil {
		t.Fatal(err)
	}
	if l, _ := r.Compatibility(ctx, "s", true); l != Full {
		t.Fatalf("fallback after global set = %v", l)
	}
	if l, err := r.DeleteCompatibility(ctx, ""); err != nil || l != Full {
		t.Fatalf("delete global = %v, %v", l, err)
	}
	if l, _ := r.Compatibility(ctx, "", false); l != Backward {
		t.Fatalf("global after delete = %v", l)
	}
}

func testReferences(t *testing.T, r Registry) {
	ctx := context.Background()
	line := `{"type":"record","name":"Line","namespace":"shop","fields":[{"name":"sku","type":"string"}]}`
	order := `{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"line","type":"shop.Line"}]}`
	lineID := mustRegister(t, r, "line", Schema{Text: line})
	refs := []Reference{{Name: "shop.Line", Subject: "line", Version: 1}}
	orderID := mustRegister(t, r, "order", Schema{Text: order, References: refs})
	if orderID == lineID {
		t.Fatal("order reused the line's id")
	}
	_, err := r.Register(ctx, "order2", Schema{Text: order})
	wantCode(t, err, ErrInvalidSchema) // shop.Line is unknown without the reference
	got, err := r.SchemaByID(ctx, orderID)
	if err != nil || len(got.References) != 1 || got.References[0] != refs[0] {
		t.Fatalf("schema with references = %+v, %v", got, err)
	}
	ids, err := r.ReferencedBy(ctx, "line", 1)
	if err != nil || !slices.Equal(ids, []int{orderID}) {
		t.Fatalf("referenced by = %v, %v", ids, err)
	}
	_, err = r.DeleteSubject(ctx, "line", false)
	wantCode(t, err, ErrReferenceExists)

	// Protobuf imports resolve through references too.
	common := `syntax = "proto3"; package shop; message Money { int64 cents = 1; }`
	mustRegister(t, r, "money", Schema{Type: Protobuf, Text: common})
	priced := `syntax = "proto3"; package shop; import "shop/money.proto"; import "google/protobuf/timestamp.proto";
message Price { Money amount = 1; google.protobuf.Timestamp at = 2; }`
	mustRegister(t, r, "price", Schema{Type: Protobuf, Text: priced,
		References: []Reference{{Name: "shop/money.proto", Subject: "money", Version: 1}}})
}

func mustRegister(t *testing.T, r Registry, subject string, s Schema) int {
	t.Helper()
	id, err := r.Register(context.Background(), subject, s)
	if err != nil {
		t.Fatalf("register %s: %v", subject, err)
	}
	return id
}
