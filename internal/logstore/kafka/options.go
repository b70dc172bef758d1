package kafka

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// SASL mechanisms accepted in Options.SASLMechanism, spelled as Kafka's
// sasl.mechanism property spells them.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// ErrInvalidOptions is wrapped by every error Validate returns.
var ErrInvalidOptions = errors.New("kafka: invalid options")

// Options configures a Kafka-backed Log. Open calls EnsureDefaults and
// Validate, so only BootstrapServers must be set.
type Options struct {
	// BootstrapServers lists host:port seeds, as Kafka's
	// bootstrap.servers. Required.
	BootstrapServers []string
	// ClientID is sent with every request (client.id), so that broker logs
	// and quotas can tell Sluice apart. Default "sluice".
	ClientID string

	// SASLMechanism is empty (no SASL), PLAIN, SCRAM-SHA-256 or
	// SCRAM-SHA-512. SASLUsername and SASLPassword are then required.
	SASLMechanism string
	SASLUsername  string
	SASLPassword  string

	// TLS turns on TLS to the brokers. It is implied by any of the TLS
	// fields below.
	TLS bool
	// TLSCAFile is a truststore that replaces the system roots: a PEM
	// bundle or a Java keystore (JKS or PKCS12), told apart by content.
	// TLSCAPassword is ssl.truststore.password: it checks a JKS store's
	// integrity and decrypts a PKCS12 one. TLSCAPEM holds PEM certificates
	// inline (ssl.truststore.certificates) and adds to TLSCAFile.
	TLSCAFile     string
	TLSCAPassword string
	TLSCAPEM      string
	// TLSCertFile and TLSKeyFile are a PEM client certificate chain and
	// its key, set together; they may name one file holding both, which
	// is Kafka's PEM keystore. TLSKeyPassword decrypts an encrypted
	// PKCS#8 key. TLSCertPEM and TLSKeyPEM hold the same inline
	// (ssl.keystore.certificate.chain, ssl.keystore.key).
	TLSCertFile    string
	TLSKeyFile     string
	TLSKeyPassword string
	TLSCertPEM     string
	TLSKeyPEM      string
	// TLSKeyStoreFile is a JKS or PKCS12 keystore holding the client key
	// and chain (ssl.keystore.type JKS or PKCS12); TLSKeyStorePassword
	// opens it and TLSKeyPassword, when set, unlocks a JKS key (Java's
	// default is the store password).
	TLSKeyStoreFile     string
	TLSKeyStorePassword string
	// TLSSkipVerify accepts any server certificate and is meant for tests
	// only. TLSNoHostnameCheck verifies the chain but not the name in it,
	// as an empty ssl.endpoint.identification.algorithm does.
	TLSSkipVerify      bool
	TLSNoHostnameCheck bool
	// TLSServerName overrides the name checked in the server certificate;
	// by default it is the host of the address dialled.
	TLSServerName string

	// TransactionTimeout is transaction.timeout.ms: a transaction left
	// open longer than this by a crashed writer is aborted by the
	// coordinator. It must not exceed the broker's
	// transaction.max.timeout.ms (15 minutes by default). Default 60s.
	TransactionTimeout time.Duration
	// RequestTimeout bounds one admin or metadata round trip. Default 30s.
	RequestTimeout time.Duration
	// DefaultFetchBytes is the byte bound of a Fetch whose MaxBytes is
	// zero. Default 1 MiB.
	DefaultFetchBytes int
	// DefaultFetchRecords is the record bound of a Fetch whose MaxRecords
	// is zero. Default 10000.
	DefaultFetchRecords int

	// Namespace, when set, is prepended to every topic name, consumer
	// group and transactional id this Log uses, and ListTopics shows only
	// the namespace's topics, with the prefix removed. Several Sluice
	// deployments, or concurrent tests, can then share one cluster
	// without seeing each other. A name that is too long once prefixed
	// (Kafka allows 249 characters) is shortened with a hash of its tail;
	// it is still found by its own name, but ListTopics reports the
	// shortened form. Default empty: names are used as given.
	Namespace string

	// Logger receives the backend's and franz-go's diagnostics. Default
	// slog.Default().
	Logger *slog.Logger
}

// EnsureDefaults fills every unset field with its default and returns o.
func (o *Options) EnsureDefaults() *Options {
	if o.ClientID == "" {
		o.ClientID = "sluice"
	}
	if o.TransactionTimeout == 0 {
		o.TransactionTimeout = 60 * time.Second
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.DefaultFetchBytes == 0 {
		o.DefaultFetchBytes = 1 << 20
	}
	if o.DefaultFetchRecords == 0 {
		o.DefaultFetchRecords = 10000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.SASLMechanism = strings.ToUpper(strings.TrimSpace(o.SASLMechanism))
	return o
}

// Validate reports the first inconsistency in o; the error wraps
// ErrInvalidOptions. It does not reach the network, but it does read the
// TLS files, so that a bad path fails at start and not at first dial.
func (o *Options) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	if len(o.BootstrapServers) == 0 {
		return bad("no bootstrap servers")
	}
	for _, s := range o.BootstrapServers {
		if strings.TrimSpace(s) == "" {
			return bad("empty bootstrap server in %q", o.BootstrapServers)
		}
	}
	switch o.SASLMechanism {
	case "":
		if o.SASLUsername != "" || o.SASLPassword != "" {
			return bad("SASL credentials given without a SASL mechanism")
		}
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if o.SASLUsername == "" || o.SASLPassword == "" {
			return bad("SASL mechanism %s needs a username and a password", o.SASLMechanism)
		}
	default:
		return bad("unknown SASL mechanism %q (want %s, %s or %s)", o.SASLMechanism, SASLPlain, SASLScramSHA256, SASLScramSHA512)
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return bad("TLS certificate and key files must be set together")
	}
	if (o.TLSCertPEM == "") != (o.TLSKeyPEM == "") {
		return bad("inline TLS certificate chain and key must be set together")
	}
	if o.TransactionTimeout < time.Millisecond || o.TransactionTimeout > time.Duration(1<<31-1)*time.Millisecond {
		return bad("transaction timeout %v out of range", o.TransactionTimeout)
	}
	if o.RequestTimeout < 0 || o.DefaultFetchBytes < 0 || o.DefaultFetchRecords < 0 {
		return bad("negative timeout or fetch bound")
	}
	if strings.TrimSpace(o.Namespace) != o.Namespace {
		return bad("namespace %q has surrounding spaces", o.Namespace)
	}
	if _, err := o.tlsConfig(); err != nil {
		return bad("%v", err)
	}
	return nil
}

// saslMechanism returns the franz-go mechanism, or nil without SASL.
func (o *Options) saslMechanism() sasl.Mechanism {
	auth := scram.Auth{User: o.SASLUsername, Pass: o.SASLPassword}
	switch o.SASLMechanism {
	case SASLPlain:
		return plain.Auth{User: o.SASLUsername, Pass: o.SASLPassword}.AsMechanism()
	case SASLScramSHA256:
		return auth.AsSha256Mechanism()
	case SASLScramSHA512:
		return auth.AsSha512Mechanism()
	}
	return nil
}

// clientOpts returns the franz-go options every client of this Log shares:
// connection, security and logging. Callers add their role's options.
func (o *Options) clientOpts() ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(o.BootstrapServers...),
		kgo.ClientID(o.ClientID),
		kgo.WithLogger(slogAdapter{o.Logger}),
		kgo.RetryTimeout(o.RequestTimeout),
	}
	cfg, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	if m := o.saslMechanism(); m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// redacted is shown in place of a secret.
const redacted = "[hidden]"

// String describes o for logs and errors with its secrets (the SASL
// password, key and store passwords, an inline key) hidden, so that
// printing an Options value with %v or %+v cannot leak them.
func (o Options) String() string {
	hide := func(s string) string {
		if s == "" {
			return ""
		}
		return redacted
	}
	return fmt.Sprintf("kafka.Options{BootstrapServers:%v ClientID:%q SASLMechanism:%q SASLUsername:%q SASLPassword:%q "+
		"TLS:%v TLSCAFile:%q TLSCAPassword:%q TLSCertFile:%q TLSKeyFile:%q TLSKeyPassword:%q TLSKeyPEM:%q "+
		"TLSKeyStoreFile:%q TLSKeyStorePassword:%q TLSSkipVerify:%v TLSNoHostnameCheck:%v Namespace:%q}",
		o.BootstrapServers, o.ClientID, o.SASLMechanism, o.SASLUsername, hide(o.SASLPassword),
		o.tlsOn(), o.TLSCAFile, hide(o.TLSCAPassword), o.TLSCertFile, o.TLSKeyFile, hide(o.TLSKeyPassword), hide(o.TLSKeyPEM),
		o.TLSKeyStoreFile, hide(o.TLSKeyStorePassword), o.TLSSkipVerify, o.TLSNoHostnameCheck, o.Namespace)
}

// LogValue is String for slog.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }
