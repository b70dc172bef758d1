package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	"github.com/sluicedb/sluice/internal/logstore/migrate"
	"github.com/sluicedb/sluice/internal/server"
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
	config := fs.String("config", "", "the Kafka server's ksql-server.properties: its ksql.streams.bootstrap.servers and "+
		"Kafka security settings (security.protocol, sasl.*, ssl.*) are used; the flags below override them")
	var flagOpts kafka.Options
	fs.StringVar(&flagOpts.SASLMechanism, "sasl-mechanism", "", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	fs.StringVar(&flagOpts.SASLUsername, "sasl-username", "", "SASL user")
	fs.StringVar(&flagOpts.SASLPassword, "sasl-password", os.Getenv("SLUICE_KAFKA_PASSWORD"), "SASL password (default $SLUICE_KAFKA_PASSWORD)")
	fs.BoolVar(&flagOpts.TLS, "tls", false, "use TLS to the brokers")
	fs.StringVar(&flagOpts.TLSCAFile, "tls-ca-file", "", "CA bundle (PEM or JKS) for the brokers' certificates")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var kopts kafka.Options
	if *config != "" {
		props, err := server.LoadProperties(*config)
		if err == nil {
			kopts, err = kafka.FromProperties(props, slog.New(slog.NewTextHandler(stderr, nil)))
		}
		if err != nil {
			fmt.Fprintf(stderr, "sluice migrate: %v\n", err)
			return 2
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["sasl-mechanism"] || set["sasl-username"] || set["sasl-password"] {
		kopts.SASLMechanism, kopts.SASLUsername, kopts.SASLPassword = flagOpts.SASLMechanism, flagOpts.SASLUsername, flagOpts.SASLPassword
	}
	if set["tls"] || set["tls-ca-file"] {
		kopts.TLS, kopts.TLSCAFile = flagOpts.TLS, flagOpts.TLSCAFile
	}
	if *bootstrap != "" && (set["bootstrap-servers"] || len(kopts.BootstrapServers) == 0) {
		kopts.BootstrapServers = nil
		for _, s := range strings.Split(*bootstrap, ",") {
			if s = strings.TrimSpace(s); s != "" {
				kopts.BootstrapServers = append(kopts.BootstrapServers, s)
			}
		}
	}
	if *dataDir == "" || len(kopts.BootstrapServers) == 0 || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sluice migrate: need --data-dir and --bootstrap-servers (or --config), and no arguments\n")
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
