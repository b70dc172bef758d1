package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// TestServerOnSecuredKafka runs "sluice server --log kafka" against a
// broker that wants SASL_SSL with SCRAM-SHA-512, configured as a ksqlDB
// user would in ksql-server.properties, and runs a CSAS end to end; then
// "sluice migrate" with the same file. The password must show nowhere:
// not in the server's log (at debug level), SHOW PROPERTIES, /info or an
// error; and a wrong password must stop the server at once with an error
// that names the mechanism and the user.
func TestServerOnSecuredKafka(t *testing.T) {
	k := testsvc.NewSecureKafka(t)
	dir := t.TempDir()
	props := func(password string) string {
		return fmt.Sprintf(`# ksqlDB's documented settings for a SASL_SSL cluster.
listeners=http://127.0.0.1:0
ksql.service.id=secured_
sluice.log.backend=kafka
ksql.streams.bootstrap.servers=%s
ksql.streams.security.protocol=SASL_SSL
ksql.streams.sasl.mechanism=SCRAM-SHA-512
ksql.streams.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \
    username="%s" \
    password="%s";
ksql.streams.ssl.truststore.location=%s
ksql.streams.ssl.truststore.type=PEM
ksql.streams.auto.offset.reset=earliest
`, k.SASLSSL, k.User, password, k.PKI.CAFile)
	}
	cfg := filepath.Join(dir, "ksql-server.properties")
	if err := os.WriteFile(cfg, []byte(props(k.Password)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, url, out := startSluiceWithin(t, 2*time.Minute, "server", "--config", cfg, "--data-dir", filepath.Join(dir, "data"), "--log-level", "debug")
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGTERM)
		if err := waitExit(cmd, time.Minute); err != nil {
			t.Errorf("server exit: %v\n%s", err, out)
		}
	}
	defer stop()

	var seen []string // every response body, searched for the password at the end
	for _, stmt := range []string{
		"CREATE STREAM readings (id INT KEY, v STRING) WITH (kafka_topic='readings', value_format='json', partitions=1);",
		"CREATE STREAM loud WITH (kafka_topic='loud') AS SELECT id, UCASE(v) AS v FROM readings;",
		// AVRO puts the schema registry's _schemas topic on the broker too.
		"CREATE STREAM loud_avro WITH (kafka_topic='loud_avro', value_format='avro') AS SELECT id, UCASE(v) AS v FROM readings;",
		"INSERT INTO readings (id, v) VALUES (1, 'quiet');",
		"INSERT INTO readings (id, v) VALUES (2, 'calm');",
	} {
		code, body := postKsql(t, url, stmt)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s\n%s", stmt, code, body, out)
		}
		seen = append(seen, body)
	}

	// The CSAS's output is in the broker, where any Kafka client reads it.
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Plaintext), kgo.ConsumeTopics("loud"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var got []string
	for len(got) < 2 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("topic loud holds %q after 2 minutes\n%s", got, out)
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	if got[0] != `{"V":"QUIET"}` || got[1] != `{"V":"CALM"}` {
		t.Errorf("topic loud holds %q", got)
	}

	resp, err := http.Get(url + "/schema-registry/subjects")
	if err != nil {
		t.Fatal(err)
	}
	subjects, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(subjects), "loud_avro-value") {
		t.Errorf("registry subjects: %s", subjects)
	}

	code, body := postKsql(t, url, "SHOW PROPERTIES;")
	if code != http.StatusOK || !strings.Contains(body, "ksql.streams.sasl.jaas.config") {
		t.Errorf("SHOW PROPERTIES: %d %s", code, body)
	}
	seen = append(seen, body)
	for _, stmt := range []string{"SHOW QUERIES EXTENDED;", "DESCRIBE loud EXTENDED;", "SELEKT 1;", "CREATE STREAM readings (id INT KEY) WITH (kafka_topic='readings', value_format='json');"} {
		_, body := postKsql(t, url, stmt)
		seen = append(seen, body)
	}
	for _, path := range []string{"/info", "/healthcheck"} {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		seen = append(seen, string(b))
	}
	stop()
	for _, s := range append(seen, out.String()) {
		if strings.Contains(s, k.Password) {
			t.Errorf("the password shows in %q", s)
		}
	}

	// sluice migrate takes its Kafka settings from the same file.
	mdir := filepath.Join(dir, "embedded")
	src, err := embedded.Open(filepath.Join(mdir, "log"), embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.CreateTopic(ctx, "migrated", logstore.TopicConfig{Partitions: 1, Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	tx, err := src.Begin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"a", "b", "c"} {
		if err := tx.Produce(ctx, "migrated", logstore.Record{Value: []byte(v)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	src.Close()
	var mout syncBuffer
	if code := run(ctx, []string{"migrate", "--config", cfg, "--data-dir", mdir}, &mout, &mout); code != 0 || strings.Contains(mout.String(), k.Password) {
		t.Fatalf("migrate: exit %d\n%s", code, mout.String())
	}
	mc, err := kgo.NewClient(kgo.SeedBrokers(k.Plaintext), kgo.ConsumeTopics("migrated"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	var migrated []string
	for len(migrated) < 3 {
		fs := mc.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("topic migrated holds %q", migrated)
		}
		fs.EachRecord(func(r *kgo.Record) { migrated = append(migrated, string(r.Value)) })
	}
	if strings.Join(migrated, "") != "abc" {
		t.Errorf("migrated %q", migrated)
	}

	// A wrong password stops the server at start, quickly and clearly.
	if err := os.WriteFile(cfg, []byte(props("not-"+k.Password)), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf syncBuffer
	code = run(context.Background(), []string{"server", "--config", cfg, "--data-dir", filepath.Join(dir, "data2")}, &buf, &buf)
	msg := buf.String()
	if code == 0 || !strings.Contains(msg, "SCRAM-SHA-512") || !strings.Contains(msg, `"`+k.User+`"`) || strings.Contains(msg, k.Password) {
		t.Errorf("wrong password: exit %d: %s", code, msg)
	}
	t.Logf("wrong password: %s", msg)
}
