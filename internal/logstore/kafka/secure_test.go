package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/logstoretest"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// TestSecured runs the backend against a private broker with SASL and TLS
// listeners, configured the way a ksqlDB user writes it: Kafka client
// properties with the ksql.streams. prefix, through FromProperties. One
// broker serves every subtest, since starting one costs two JVMs.
func TestSecured(t *testing.T) {
	k := testsvc.NewSecureKafka(t)
	jaas := func(module, user, pass string) string {
		return fmt.Sprintf(`%s required username="%s" password="%s";`, module, user, pass)
	}
	p := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[StreamsPrefix+kv[i]] = kv[i+1]
		}
		return m
	}
	saslPlain := p("bootstrap.servers", k.SASLPlaintext, "security.protocol", "SASL_PLAINTEXT",
		"sasl.mechanism", "PLAIN", "sasl.jaas.config", jaas(plainLoginModule, k.User, k.Password))
	saslSSL := p("bootstrap.servers", k.SASLSSL, "security.protocol", "SASL_SSL",
		"sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", jaas(scramLoginModule, k.User, k.Password),
		"ssl.truststore.type", "PEM", "ssl.truststore.location", k.PKI.CAFile)
	ssl := p("bootstrap.servers", k.SSL, "security.protocol", "SSL",
		"ssl.truststore.type", "PEM", "ssl.truststore.location", k.PKI.CAFile)
	mtls := p("bootstrap.servers", k.MTLS, "security.protocol", "SSL",
		"ssl.truststore.type", "PEM", "ssl.truststore.location", k.PKI.CAFile,
		"ssl.keystore.type", "PEM", "ssl.keystore.location", k.PKI.ClientFile)

	for _, tc := range []struct {
		name  string
		props map[string]string
	}{
		{"SASL_PLAINTEXT PLAIN", saslPlain},
		{"SASL_SSL SCRAM-SHA-512", saslSSL},
		{"SSL", ssl},
		{"SSL client certificate", mtls},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logstoretest.Run(t, func(t *testing.T) logstore.Log { return openSecured(t, tc.props) })
		})
	}

	t.Run("SASL_PLAINTEXT SCRAM-SHA-256", func(t *testing.T) {
		l := openSecured(t, p("bootstrap.servers", k.SASLPlaintext, "security.protocol", "SASL_PLAINTEXT",
			"sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config", jaas(scramLoginModule, k.User, k.Password)))
		roundTrip(t, l)
	})

	t.Run("JKS truststore", func(t *testing.T) {
		store := storeFromPEM(t, k.PKI.CAFile, "JKS")
		l := openSecured(t, p("bootstrap.servers", k.SSL, "security.protocol", "SSL",
			"ssl.truststore.location", store, "ssl.truststore.password", "changeit"))
		roundTrip(t, l)
	})

	t.Run("PKCS12 truststore and keystore", func(t *testing.T) {
		if _, err := exec.LookPath("openssl"); err != nil {
			t.Fatal("openssl is not on PATH; the test needs it to write a PKCS12 store")
		}
		ks := filepath.Join(t.TempDir(), "client.p12")
		if out, err := exec.Command("openssl", "pkcs12", "-export", "-in", k.PKI.ClientCertFile, "-inkey", k.PKI.ClientKeyFile,
			"-name", "client", "-out", ks, "-passout", "pass:storepw").CombinedOutput(); err != nil {
			t.Fatalf("openssl: %v\n%s", err, out)
		}
		l := openSecured(t, p("bootstrap.servers", k.MTLS, "security.protocol", "SSL",
			"ssl.truststore.type", "PKCS12", "ssl.truststore.location", storeFromPEM(t, k.PKI.CAFile, "PKCS12"),
			"ssl.truststore.password", "changeit",
			"ssl.keystore.type", "PKCS12", "ssl.keystore.location", ks, "ssl.keystore.password", "storepw"))
		roundTrip(t, l)
	})

	// Refusals must come back as errors that say what is wrong, quickly,
	// and without the password.
	for _, tc := range []struct {
		name  string
		props map[string]string
		want  []string
	}{
		{"wrong password", p("bootstrap.servers", k.SASLSSL, "security.protocol", "SASL_SSL",
			"sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", jaas(scramLoginModule, k.User, "wrong-"+k.Password),
			"ssl.truststore.location", k.PKI.CAFile), []string{"SCRAM-SHA-512", `"` + k.User + `"`, "sasl.jaas.config"}},
		{"unknown user", p("bootstrap.servers", k.SASLPlaintext, "security.protocol", "SASL_PLAINTEXT",
			"sasl.mechanism", "PLAIN", "sasl.jaas.config", jaas(plainLoginModule, "mallory", k.Password)), []string{"PLAIN", `"mallory"`}},
		{"no client certificate", p("bootstrap.servers", k.MTLS, "security.protocol", "SSL",
			"ssl.truststore.location", k.PKI.CAFile), []string{"ssl.keystore.location"}},
		{"untrusted broker", p("bootstrap.servers", k.SSL, "security.protocol", "SSL"), []string{"ssl.truststore.location"}},
		{"plaintext client on a TLS listener", p("bootstrap.servers", k.SSL), []string{"security.protocol"}},
		{"plaintext client on a SASL listener", p("bootstrap.servers", k.SASLPlaintext), []string{"security.protocol"}},
		{"SASL without TLS on a SASL_SSL listener", p("bootstrap.servers", k.SASLSSL, "security.protocol", "SASL_PLAINTEXT",
			"sasl.mechanism", "PLAIN", "sasl.jaas.config", jaas(plainLoginModule, k.User, k.Password)), []string{"security.protocol"}},
		{"unknown SCRAM user", p("bootstrap.servers", k.SASLPlaintext, "security.protocol", "SASL_PLAINTEXT",
			"sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config", jaas(scramLoginModule, "nobody", "x")), []string{"SCRAM-SHA-256", `"nobody"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := FromProperties(tc.props, quietLogger())
			if err != nil {
				t.Fatal(err)
			}
			opts.RequestTimeout = 10 * time.Second
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			l, err := Open(ctx, opts)
			if err == nil {
				l.Close()
				t.Fatal("Open succeeded")
			}
			if ctx.Err() != nil {
				t.Fatalf("Open waited for its deadline instead of failing: %v", err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %s", msg, w)
				}
			}
			if strings.Contains(msg, k.Password) {
				t.Errorf("error %q shows the password", msg)
			}
			t.Logf("error: %v", err)
		})
	}
	t.Run("wrong password is an authentication error", func(t *testing.T) {
		opts, err := FromProperties(p("bootstrap.servers", k.SASLPlaintext, "security.protocol", "SASL_PLAINTEXT",
			"sasl.mechanism", "SCRAM-SHA-256", "sasl.jaas.config", jaas(scramLoginModule, k.User, "nope")), quietLogger())
		if err != nil {
			t.Fatal(err)
		}
		_, err = Open(context.Background(), opts)
		if !errors.Is(err, ErrAuthentication) {
			t.Fatalf("Open = %v, want ErrAuthentication", err)
		}
	})
}

// openSecured opens a Log from ksqlDB-style properties in a namespace of
// its own; the namespace's topics are dropped when t ends.
func openSecured(t testing.TB, props map[string]string) *Log {
	t.Helper()
	opts, err := FromProperties(props, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatalf("FromProperties: %v", err)
	}
	opts.Namespace = "sec" + strconv.FormatInt(time.Now().UnixMilli()%1e8, 36) + strconv.FormatInt(namespaces.Add(1), 36) + "."
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, err := Open(ctx, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		l.Close()
		dropNamespace(t, opts)
	})
	return l
}

// roundTrip writes a record and reads it back.
func roundTrip(t *testing.T, l *Log) {
	t.Helper()
	mustCreate(t, l, "rt", 1)
	tx, err := l.Begin(ctxFor(t), "rt-writer")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Produce(ctxFor(t), "rt", logstore.Record{Value: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctxFor(t)); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, l, logstore.TopicPartition{Topic: "rt"}); len(got) != 1 || got[0] != "hello" {
		t.Fatalf("read back %q", got)
	}
}

// storeFromPEM imports a PEM CA certificate into a new truststore of the
// given type (JKS or PKCS12) with the JDK's keytool, as a Java user makes
// one; password "changeit".
func storeFromPEM(t *testing.T, caFile, storeType string) string {
	t.Helper()
	if _, err := exec.LookPath("keytool"); err != nil {
		t.Fatal("keytool (from the JDK the test services use) is not on PATH")
	}
	store := filepath.Join(t.TempDir(), "truststore."+strings.ToLower(storeType))
	out, err := exec.Command("keytool", "-importcert", "-noprompt", "-storetype", storeType, "-keystore", store,
		"-storepass", "changeit", "-alias", "ca", "-file", caFile).CombinedOutput()
	if err != nil {
		t.Fatalf("keytool: %v\n%s", err, out)
	}
	return store
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
