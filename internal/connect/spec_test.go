package connect

import (
	"errors"
	"strings"
	"testing"
)

var testSpec = &Spec{
	Keys: []Key{
		{Name: "topic.prefix", Aliases: []string{"database.server.name"}, Required: true},
		{Name: "table.include.list", Aliases: []string{"table.whitelist"}, Type: TypeList},
		{Name: "port", Type: TypeInt, Default: "5432"},
		{Name: "flag", Type: TypeBool, Default: "false"},
		{Name: "mode", Default: "initial", Allowed: []string{"initial", "never"}},
		{Name: "database.password", Type: TypePassword},
	},
	IgnoredPrefixes: []string{"database.history."},
}

func TestSpecValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      map[string]string
		check   func(*Config) string // returns a description of what is wrong
		err     string
		warning string
	}{
		{name: "aliases", in: map[string]string{"database.server.name": "s", "table.whitelist": "a, b ,,c"},
			check: func(c *Config) string {
				if c.String("topic.prefix") != "s" || strings.Join(c.List("table.include.list"), "|") != "a|b|c" || c.Int("port") != 5432 {
					return "aliases or defaults not applied"
				}
				return ""
			}},
		{name: "new spelling wins", in: map[string]string{"database.server.name": "old", "topic.prefix": "new"},
			check: func(c *Config) string {
				if c.String("topic.prefix") != "new" {
					return "want the 2.x key to win"
				}
				return ""
			}},
		{name: "normalised values", in: map[string]string{"topic.prefix": "s", "flag": "TRUE", "mode": "Never"},
			check: func(c *Config) string {
				if !c.Bool("flag") || c.String("mode") != "never" {
					return "values not normalised"
				}
				return ""
			}},
		{name: "unknown key", in: map[string]string{"topic.prefix": "s", "tabel.include.list": "x"}, err: "Invalid value for configuration tabel.include.list: unknown configuration key"},
		{name: "missing", in: map[string]string{}, err: "Invalid value for configuration topic.prefix: missing required configuration"},
		{name: "bad int", in: map[string]string{"topic.prefix": "s", "port": "x"}, err: `configuration port: "x" is not a valid int`},
		{name: "bad bool", in: map[string]string{"topic.prefix": "s", "flag": "yes"}, err: `configuration flag: "yes" is not a boolean`},
		{name: "not allowed", in: map[string]string{"topic.prefix": "s", "mode": "sometimes"}, err: `configuration mode: "sometimes" is not one of the accepted values: initial, never`},
		{name: "ignored", in: map[string]string{"topic.prefix": "s", "database.history.kafka.topic": "h"}, warning: "database.history.kafka.topic is not used by Sluice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := testSpec.Validate(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrConfig) {
					t.Fatalf("got %v, want an ErrConfig containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.check != nil {
				if msg := tc.check(c); msg != "" {
					t.Fatal(msg)
				}
			}
			if tc.warning != "" && (len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], tc.warning)) {
				t.Fatalf("warnings %v, want one containing %q", c.Warnings, tc.warning)
			}
		})
	}
}

func TestMaskSecrets(t *testing.T) {
	got := MaskSecrets(testSpec, map[string]string{
		"database.password": "pw", "connection.password": "pw2", "aws.secret": "s", "ssl.key": "k",
		"topic.prefix": "visible", "key.converter": "visible",
	})
	for k, v := range got {
		secret := v == Mask
		if want := v != "visible"; secret != want {
			t.Errorf("%s = %q", k, v)
		}
	}
}
