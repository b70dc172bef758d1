package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	"github.com/sluicedb/sluice/internal/logstore/migrate"
)

// runMigrate copies an embedded data directory's log into Kafka, so that
// `sluice server --log kafka` with the same service id continues from it.
// The server must be stopped: the embedded log is locked while it runs.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("migrate", stderr)
	dataDir := fs.String("data-dir", "", "the embedded server's data directory, ksql.streams.state.dir (required)")
	bootstrap := fs.String("bootstrap-servers", os.Getenv("SLUICE_KAFKA_BOOTSTRAP"), "Kafka host:port list (default $SLUICE_KAFKA_BOOTSTRAP)")
	force := fs.Bool("force", false, "delete and recreate target topics that already have records")
	replicas := fs.Int("replication-factor", 0, "replication factor of the created topics (default: the broker's)")
	var groups propList
	fs.Var(&groups, "group", "consumer group whose offsets to carry over, besides the query groups found in internal topic names (repeatable)")
	var kopts kafka.Options
	fs.StringVar(&kopts.SASLMechanism, "sasl-mechanism", "", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	fs.StringVar(&kopts.SASLUsername, "sasl-username", "", "SASL user")
	fs.StringVar(&kopts.SASLPassword, "sasl-password", os.Getenv("SLUICE_KAFKA_PASSWORD"), "SASL password (default $SLUICE_KAFKA_PASSWORD)")
	fs.BoolVar(&kopts.TLS, "tls", false, "use TLS to the brokers")
	fs.StringVar(&kopts.TLSCAFile, "tls-ca-file", "", "PEM CA bundle for the brokers' certificates")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dataDir == "" || *bootstrap == "" || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sluice migrate: need --data-dir and --bootstrap-servers, and no arguments\n")
		return 2
	}
	logDir := filepath.Join(*dataDir, "log")
	if _, err := os.Stat(logDir); err != nil {
		fmt.Fprintf(stderr, "sluice migrate: %s is not a Sluice data directory: %v\n", *dataDir, err)
		return 2
	}
	src, err := embedded.Open(logDir, embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		fmt.Fprintf(stderr, "sluice migrate: open %s (is a server still running on it?): %v\n", logDir, err)
		return 1
	}
	defer src.Close()
	for _, s := range strings.Split(*bootstrap, ",") {
		if s = strings.TrimSpace(s); s != "" {
			kopts.BootstrapServers = append(kopts.BootstrapServers, s)
		}
	}
	dst, err := kafka.Open(ctx, kopts)
	if err != nil {
		fmt.Fprintf(stderr, "sluice migrate: %v\n", err)
		return 1
	}
	defer dst.Close()
	start := time.Now()
	st, err := migrate.Run(ctx, src, dst, migrate.Options{
		Force:    *force,
		Groups:   groups,
		Replicas: int16(*replicas),
		Progress: func(topic string, n int64) { fmt.Fprintf(stdout, "%s: %d records\n", topic, n) },
	})
	if err != nil {
		fmt.Fprintf(stderr, "sluice migrate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "migrated %d records in %d topics and the offsets of %d consumer groups in %v\n",
		st.Records, st.Topics, st.Groups, time.Since(start).Round(time.Millisecond))
	return 0
}
