package testsvc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// TestSecureKafka checks each listener of the private secured broker with
// a bare franz-go client: the harness is what the secured tests of the
// Kafka backend stand on, so it is proved apart from them.
func TestSecureKafka(t *testing.T) {
	k := NewSecureKafka(t)
	caPEM, err := os.ReadFile(k.PKI.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	cert, err := tls.LoadX509KeyPair(k.PKI.ClientCertFile, k.PKI.ClientKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	tlsOnly := &tls.Config{RootCAs: roots}
	mtls := &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}}
	scramAuth := scram.Auth{User: k.User, Pass: k.Password}
	tests := []struct {
		name string
		addr string
		opts []kgo.Opt
		ok   bool
	}{
		{"plaintext", k.Plaintext, nil, true},
		{"sasl plain", k.SASLPlaintext, []kgo.Opt{kgo.SASL(plain.Auth{User: k.User, Pass: k.Password}.AsMechanism())}, true},
		{"sasl scram-sha-256", k.SASLPlaintext, []kgo.Opt{kgo.SASL(scramAuth.AsSha256Mechanism())}, true},
		{"sasl scram-sha-512", k.SASLPlaintext, []kgo.Opt{kgo.SASL(scramAuth.AsSha512Mechanism())}, true},
		{"sasl wrong password", k.SASLPlaintext, []kgo.Opt{kgo.SASL(scram.Auth{User: k.User, Pass: "nope"}.AsSha512Mechanism())}, false},
		{"ssl", k.SSL, []kgo.Opt{kgo.DialTLSConfig(tlsOnly)}, true},
		{"mtls", k.MTLS, []kgo.Opt{kgo.DialTLSConfig(mtls)}, true},
		{"mtls without certificate", k.MTLS, []kgo.Opt{kgo.DialTLSConfig(tlsOnly.Clone())}, false},
		{"sasl_ssl scram-sha-512", k.SASLSSL, []kgo.Opt{kgo.DialTLSConfig(tlsOnly.Clone()), kgo.SASL(scramAuth.AsSha512Mechanism())}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(tc.addr), kgo.RetryTimeout(5 * time.Second)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err = cl.Ping(ctx)
			if tc.ok && err != nil {
				t.Fatalf("ping: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("ping succeeded, want a refusal")
			}
			t.Logf("ping: %v", err)
		})
	}
}
