package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/testsvc"
)

func TestOptionsValidate(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := func() Options { return Options{BootstrapServers: []string{"127.0.0.1:9092"}} }
	tests := []struct {
		name string
		edit func(*Options)
		want string // "" means valid
	}{
		{"defaults", func(*Options) {}, ""},
		{"no servers", func(o *Options) { o.BootstrapServers = nil }, "no bootstrap servers"},
		{"blank server", func(o *Options) { o.BootstrapServers = []string{" "} }, "empty bootstrap server"},
		{"plain", func(o *Options) { o.SASLMechanism, o.SASLUsername, o.SASLPassword = "plain", "u", "p" }, ""},
		{"scram-256", func(o *Options) { o.SASLMechanism, o.SASLUsername, o.SASLPassword = "SCRAM-SHA-256", "u", "p" }, ""},
		{"scram-512", func(o *Options) { o.SASLMechanism, o.SASLUsername, o.SASLPassword = "scram-sha-512", "u", "p" }, ""},
		{"sasl without password", func(o *Options) { o.SASLMechanism, o.SASLUsername = "PLAIN", "u" }, "needs a username and a password"},
		{"unknown mechanism", func(o *Options) { o.SASLMechanism, o.SASLUsername, o.SASLPassword = "GSSAPI", "u", "p" }, "unknown SASL mechanism"},
		{"credentials without mechanism", func(o *Options) { o.SASLUsername = "u" }, "without a SASL mechanism"},
		{"cert without key", func(o *Options) { o.TLSCertFile = "c.pem" }, "set together"},
		{"missing CA", func(o *Options) { o.TLSCAFile = filepath.Join(dir, "missing.pem") }, "read TLS CA file"},
		{"CA not PEM", func(o *Options) { o.TLSCAFile = notPEM }, "holds no PEM certificate"},
		{"missing key pair", func(o *Options) { o.TLSCertFile, o.TLSKeyFile = notPEM, notPEM }, "load TLS client certificate"},
		{"skip verify", func(o *Options) { o.TLSSkipVerify = true }, ""},
		{"negative txn timeout", func(o *Options) { o.TransactionTimeout = -time.Second }, "transaction timeout"},
		{"spaced namespace", func(o *Options) { o.Namespace = " ns" }, "surrounding spaces"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			tc.edit(&o)
			err := o.EnsureDefaults().Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if _, err := o.clientOpts(); err != nil {
					t.Fatalf("clientOpts: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("Validate = %v, want ErrInvalidOptions mentioning %q", err, tc.want)
			}
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := (&Options{}).EnsureDefaults()
	if o.ClientID != "sluice" || o.TransactionTimeout != time.Minute || o.DefaultFetchBytes != 1<<20 || o.Logger == nil {
		t.Errorf("defaults = %+v", o)
	}
	if o.SASLMechanism != "" {
		t.Errorf("SASL mechanism defaulted to %q", o.SASLMechanism)
	}
}

// TestOpenUnreachable checks that Open fails, rather than hangs, when no
// broker answers.
func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err := Open(ctx, Options{BootstrapServers: []string{"127.0.0.1:1"}, Logger: quiet})
	if err == nil {
		t.Fatal("Open of an unreachable cluster succeeded")
	}
}

// TestSecurityReachesTheWire opens the plaintext test broker with SASL and
// with TLS: both must fail, which shows the options reach the connection.
// Successful logins are TestSecured's, on a broker of its own.
func TestSecurityReachesTheWire(t *testing.T) {
	addr := testsvc.Kafka(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name string
		edit func(*Options)
	}{
		{"sasl plain", func(o *Options) { o.SASLMechanism, o.SASLUsername, o.SASLPassword = SASLPlain, "u", "p" }},
		{"sasl scram", func(o *Options) { o.SASLMechanism, o.SASLUsername, o.SASLPassword = SASLScramSHA512, "u", "p" }},
		{"tls", func(o *Options) { o.TLS, o.TLSSkipVerify = true, true }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{BootstrapServers: []string{addr}, Logger: quiet, RequestTimeout: 3 * time.Second}
			tc.edit(&o)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			l, err := Open(ctx, o)
			if err == nil {
				l.Close()
				t.Fatal("Open succeeded against a plaintext listener")
			}
		})
	}
}

// TestOptionsPrintNoSecrets prints Options every way a log line or an
// error might, and finds no secret.
func TestOptionsPrintNoSecrets(t *testing.T) {
	o := Options{BootstrapServers: []string{"b:1"}, SASLMechanism: SASLPlain, SASLUsername: "ann", SASLPassword: "pw-sasl",
		TLSCAPassword: "pw-ca", TLSKeyPassword: "pw-key", TLSKeyStorePassword: "pw-store", TLSKeyPEM: "-----BEGIN PRIVATE KEY-----"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("open", "opts", o)
	for _, out := range []string{fmt.Sprint(o), fmt.Sprintf("%v %+v %s", o, o, &o), logged.String()} {
		for _, secret := range []string{"pw-", "BEGIN PRIVATE"} {
			if strings.Contains(out, secret) {
				t.Errorf("%q shows a secret", out)
			}
		}
		if !strings.Contains(out, "ann") {
			t.Errorf("%q lost the user", out)
		}
	}
}
