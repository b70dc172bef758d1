package mongodb

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/connect"
)

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     map[string]string
		wantURI string
		wantErr string
	}{
		{
			name:    "seed 1.x keys",
			cfg:     map[string]string{"mongodb.hosts": "mongo:27017", "mongodb.name": "my-replica-set", "mongodb.user": "dbz-user", "mongodb.password": "dbz-pw", "mongodb.authsource": "admin", "collection.whitelist": "logistics.*"},
			wantURI: "mongodb://dbz-user:dbz-pw@mongo:27017/?authSource=admin",
		},
		{
			name:    "replica set in hosts, TLS",
			cfg:     map[string]string{"mongodb.hosts": "rs0/a:1,b:2", "topic.prefix": "p", "mongodb.ssl.enabled": "true"},
			wantURI: "mongodb://a:1,b:2/?replicaSet=rs0&tls=true",
		},
		{
			name:    "2.x connection string keeps its credentials",
			cfg:     map[string]string{"mongodb.connection.string": "mongodb://u:p@h:27017/?replicaSet=rs0", "topic.prefix": "p", "mongodb.user": "other"},
			wantURI: "mongodb://u:p@h:27017/?authSource=admin&replicaSet=rs0",
		},
		{name: "no host", cfg: map[string]string{"topic.prefix": "p"}, wantErr: "either mongodb.connection.string or mongodb.hosts"},
		{name: "no prefix", cfg: map[string]string{"mongodb.hosts": "h:1"}, wantErr: "topic.prefix"},
		{name: "bad regex", cfg: map[string]string{"mongodb.hosts": "h:1", "topic.prefix": "p", "collection.include.list": "("}, wantErr: "collection.include.list"},
		{name: "bad capture mode", cfg: map[string]string{"mongodb.hosts": "h:1", "topic.prefix": "p", "capture.mode": "magic"}, wantErr: "capture.mode"},
		{name: "bad field exclude", cfg: map[string]string{"mongodb.hosts": "h:1", "topic.prefix": "p", "field.exclude.list": "justafield"}, wantErr: "field.exclude.list"},
		{name: "unknown key", cfg: map[string]string{"mongodb.hosts": "h:1", "topic.prefix": "p", "mongodb.hostz": "x"}, wantErr: "mongodb.hostz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Spec.Validate(tc.cfg)
			var parsed *config
			if err == nil {
				parsed, err = parseConfig(c)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, connect.ErrConfig) {
					t.Fatalf("got %v, want a config error naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if parsed.uri != tc.wantURI {
				t.Fatalf("uri %s, want %s", parsed.uri, tc.wantURI)
			}
		})
	}
}

func TestPasswordMasked(t *testing.T) {
	c, err := Spec.Validate(map[string]string{"mongodb.hosts": "h:1", "mongodb.name": "p", "mongodb.password": "dbz-pw"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Masked()["mongodb.password"]; got != connect.Mask {
		t.Fatalf("password shows as %q", got)
	}
}
