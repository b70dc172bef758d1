package elasticsearch

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/connect"
)

func TestConfig(t *testing.T) {
	spec := Spec.With(connect.NewSpec(connect.Key{Name: "topics", Type: connect.TypeList}, connect.Key{Name: "topics.regex"}))
	for _, tc := range []struct {
		name string
		raw  map[string]string
		err  string // a substring naming the key; "" for a valid config
	}{
		{"tutorial", map[string]string{"connection.url": "http://elastic:9200", "type.name": "kafka-connect", "topics": "shipped_orders"}, ""},
		{"several urls", map[string]string{"connection.url": "http://a:9200, http://b:9200", "topics": "t"}, ""},
		{"missing url", map[string]string{"topics": "t"}, "connection.url"},
		{"bad null behaviour", map[string]string{"connection.url": "http://a", "behavior.on.null.values": "drop"}, "behavior.on.null.values"},
		{"upper-case enum", map[string]string{"connection.url": "http://a", "write.method": "UPSERT"}, ""},
		{"batch too big", map[string]string{"connection.url": "http://a", "batch.size": "2000000"}, "batch.size"},
		{"bad regex", map[string]string{"connection.url": "http://a", "topics.regex": "("}, "topics.regex"},
		{"topics and regex", map[string]string{"connection.url": "http://a", "topics": "a", "topics.regex": "b.*"}, "topics.regex"},
		{"unknown key", map[string]string{"connection.url": "http://a", "conection.password": "x"}, "conection.password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := spec.Validate(tc.raw)
			if err == nil {
				_, err = parseSettings(cfg)
			}
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, connect.ErrConfig) || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want a config error naming %s", err, tc.err)
			}
		})
	}
	cfg, err := spec.Validate(map[string]string{"connection.url": "http://a", "connection.password": "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if m := cfg.Masked()["connection.password"]; m != connect.Mask {
		t.Fatalf("masked password = %q", m)
	}
	s, err := parseSettings(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.onNull != nullFail || s.method != methodInsert || s.writer.BatchSize != 2000 || !s.keyInclude {
		t.Fatalf("defaults: %+v", s)
	}
}

func TestRedactURLs(t *testing.T) {
	got := redactURLs([]string{"http://elastic:9200", "https://u:pw@h:9200/x"})
	if got[0] != "http://elastic:9200" || strings.Contains(got[1], "pw") {
		t.Fatalf("redactURLs = %v", got)
	}
}
