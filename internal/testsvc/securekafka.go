package testsvc

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// SecureKafka is a private single-node KRaft broker, the same install as
// the shared one, listening with each of Kafka's security protocols. The
// shared broker is plaintext only, and reconfiguring it would break every
// other test; this one lives and dies with the test that asked for it.
type SecureKafka struct {
	// Plaintext is an unauthenticated listener (also the inter-broker
	// one), for set-up and inspection.
	Plaintext string
	// SASLPlaintext is SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and
	// SCRAM-SHA-512 enabled.
	SASLPlaintext string
	// SSL is TLS without client authentication.
	SSL string
	// MTLS is TLS that requires a client certificate signed by the CA.
	MTLS string
	// SASLSSL is SASL_SSL with the same mechanisms as SASLPlaintext.
	SASLSSL string
	// PKI holds the CA (the truststore for every TLS listener), the
	// broker's keystore and a client certificate.
	PKI *TestPKI
	// User and Password are valid for PLAIN, SCRAM-SHA-256 and
	// SCRAM-SHA-512. The password is random per broker, so a test can
	// search output for it.
	User, Password string
	// Log is the broker's log file.
	Log string
	// StartTime is how long the broker took from format to its first
	// metadata answer, for reports.
	StartTime time.Duration
}

// NewSecureKafka formats and starts a private secured broker for t on free
// ports, and kills it and removes its files when t ends. It costs two JVM
// starts (the storage tool, then the broker); tests should share one
// broker across subtests.
func NewSecureKafka(t testing.TB) *SecureKafka {
	t.Helper()
	if testing.Short() {
		t.Skip("testsvc: a private Kafka broker needs the real server; skipped under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testStartTimeout)
	defer cancel()
	o := Options{Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	if err := o.EnsureDefaults(); err != nil {
		t.Fatal(err)
	}
	if err := installLocked(ctx, &o, kafka{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k, cmd, err := startSecureKafka(ctx, &o, dir)
	if cmd != nil {
		done := make(chan struct{})
		go func() {
			// The broker's owner is this test: the cleanup below waits
			// for this goroutine, which reaps the process.
			_ = cmd.Wait()
			close(done)
		}()
		t.Cleanup(func() {
			// The data is thrown away: no clean shutdown is needed.
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		})
	}
	if err != nil {
		t.Fatalf("testsvc: private secured Kafka: %v", err)
	}
	t.Logf("testsvc: private secured Kafka up in %v (log %s)", k.StartTime.Round(time.Millisecond), k.Log)
	return k
}

// secureListeners are the listener names, in port order after the
// controller's.
var secureListeners = []struct{ name, protocol string }{
	{"INTERNAL", "PLAINTEXT"},
	{"SASL_PLAINTEXT", "SASL_PLAINTEXT"},
	{"SSL", "SSL"},
	{"MTLS", "SSL"},
	{"SASL_SSL", "SASL_SSL"},
}

// startSecureKafka writes the broker's files into dir, formats its storage
// with the SCRAM credentials and starts it. The returned command, when not
// nil, is running and must be killed and waited for by the caller, even
// when err is not nil.
func startSecureKafka(ctx context.Context, o *Options, dir string) (*SecureKafka, *exec.Cmd, error) {
	began := time.Now()
	pki, err := NewTestPKI(dir)
	if err != nil {
		return nil, nil, err
	}
	var pw [8]byte
	if _, err := rand.Read(pw[:]); err != nil {
		return nil, nil, err
	}
	k := &SecureKafka{PKI: pki, User: "sluice", Password: "pw" + hex.EncodeToString(pw[:]), Log: filepath.Join(dir, "kafka.log")}
	ports, err := freePorts(1 + len(secureListeners))
	if err != nil {
		return nil, nil, err
	}
	addrs := map[string]string{}
	for i, l := range secureListeners {
		addrs[l.name] = fmt.Sprintf("127.0.0.1:%d", ports[i+1])
	}
	k.Plaintext, k.SASLPlaintext, k.SSL, k.MTLS, k.SASLSSL = addrs["INTERNAL"], addrs["SASL_PLAINTEXT"], addrs["SSL"], addrs["MTLS"], addrs["SASL_SSL"]

	props := filepath.Join(dir, "server.properties")
	if err := os.WriteFile(props, []byte(secureKafkaProperties(dir, ports[0], addrs, k)), 0o600); err != nil {
		return nil, nil, fmt.Errorf("server.properties: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "log4j2.properties"), []byte(kafkaLog4j), 0o644); err != nil {
		return nil, nil, fmt.Errorf("log4j2.properties: %w", err)
	}
	clusterID, err := newClusterID()
	if err != nil {
		return nil, nil, err
	}
	// SCRAM credentials go into the bootstrap metadata, so they exist
	// before the broker takes its first connection.
	args := []string{"kafka.tools.StorageTool", "format", "-t", clusterID, "-c", props}
	for _, m := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
		args = append(args, "--add-scram", fmt.Sprintf("%s=[name=%s,password=%s]", m, k.User, k.Password))
	}
	fctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := run(exec.CommandContext(fctx, "java", privateKafkaJava(o, dir, args...)...)); err != nil {
		return nil, nil, err
	}

	logf, err := os.OpenFile(k.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	defer logf.Close()
	cmd := exec.Command("java", privateKafkaJava(o, dir, "kafka.Kafka", props)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so the kill reaches every thread's process;
	// and killed with the test binary, so a test killed by -timeout
	// leaves no broker behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start broker: %w", err)
	}
	if err := waitSecureKafka(ctx, cmd.Process.Pid, k.Plaintext); err != nil {
		return nil, cmd, fmt.Errorf("%w\n--- %s (tail) ---\n%s", err, k.Log, tail(k.Log, 40))
	}
	k.StartTime = time.Since(began)
	return k, cmd, nil
}

// privateKafkaJava is kafkaJava with a smaller heap: a test's private
// broker carries a few topics, not every test's.
func privateKafkaJava(o *Options, dir string, args ...string) []string {
	base := kafkaJava(o, dir, args...)
	for i, a := range base {
		switch {
		case strings.HasPrefix(a, "-Xms"):
			base[i] = "-Xms64m"
		case strings.HasPrefix(a, "-Xmx"):
			base[i] = "-Xmx384m"
		}
	}
	return base
}

// newClusterID draws a KRaft cluster id as `kafka-storage random-uuid`
// prints one: 16 random bytes, base64url without padding, redrawn when it
// starts with '-', which the tool's argument parser would take for a flag.
func newClusterID() (string, error) {
	var id string
	for id == "" || strings.HasPrefix(id, "-") {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("cluster id: %w", err)
		}
		id = base64.RawURLEncoding.EncodeToString(b[:])
	}
	return id, nil
}

// waitSecureKafka polls the plaintext listener until the broker has
// registered, its process exits or two minutes pass.
func waitSecureKafka(ctx context.Context, pid int, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, kafka{}.startTimeout())
	defer cancel()
	st := &State{URL: addr}
	var last error
	for {
		if !alive(pid) {
			return fmt.Errorf("broker exited during start-up (last ping: %v)", last)
		}
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		last = kafka{}.ping(pctx, st)
		pcancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("broker not ready: %w (last ping: %v)", ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// secureKafkaProperties is the broker's server.properties: the shared
// broker's single-node settings, plus one listener per security protocol.
// Brokers read SASL credentials per listener and mechanism
// (listener.name.<l>.<mechanism>.sasl.jaas.config); PLAIN users are listed
// in the JAAS line, SCRAM users live in the cluster metadata.
func secureKafkaProperties(dir string, controllerPort int, addrs map[string]string, k *SecureKafka) string {
	var listeners, advertised, protoMap []string
	for _, l := range secureListeners {
		listeners = append(listeners, l.name+"://"+addrs[l.name])
		advertised = append(advertised, l.name+"://"+addrs[l.name])
		protoMap = append(protoMap, l.name+":"+l.protocol)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# Written by internal/testsvc for a private secured broker.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:%[1]d
listeners=%[2]s,CONTROLLER://127.0.0.1:%[1]d
advertised.listeners=%[3]s
controller.listener.names=CONTROLLER
inter.broker.listener.name=INTERNAL
listener.security.protocol.map=%[4]s,CONTROLLER:PLAINTEXT
num.network.threads=2
num.io.threads=2
background.threads=2
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
ssl.keystore.type=PEM
ssl.keystore.location=%[5]s
ssl.truststore.type=PEM
ssl.truststore.location=%[6]s
ssl.client.auth=none
listener.name.mtls.ssl.client.auth=required
`, controllerPort, strings.Join(listeners, ","), strings.Join(advertised, ","),
		strings.Join(protoMap, ","), k.PKI.ServerFile, k.PKI.CAFile)
	b.WriteString(singleNodeProps(filepath.Join(dir, "data"), 3))
	for _, l := range []string{"sasl_plaintext", "sasl_ssl"} {
		fmt.Fprintf(&b, "listener.name.%s.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_%s=\"%s\";\n", l, k.User, k.Password)
		for _, m := range []string{"scram-sha-256", "scram-sha-512"} {
			fmt.Fprintf(&b, "listener.name.%s.%s.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n", l, m)
		}
	}
	return b.String()
}

// Client returns a franz-go client on the plaintext listener, for set-up
// and inspection; it is closed when t ends.
func (k *SecureKafka) Client(t testing.TB) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Plaintext))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}
