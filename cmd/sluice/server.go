package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/sluicedb/sluice/internal/server"
)

// serverFlags are the flags server and run share; each maps to a
// ksql-server.properties key and overrides the config file.
type serverFlags struct {
	config    string
	props     map[string]*string
	logLevel  string
	overrides propList
}

// propList is a repeatable --prop key=value flag.
type propList []string

func (p *propList) String() string     { return strings.Join(*p, ",") }
func (p *propList) Set(v string) error { *p = append(*p, v); return nil }

func addServerFlags(fs *flag.FlagSet) *serverFlags {
	sf := &serverFlags{props: map[string]*string{}}
	fs.StringVar(&sf.config, "config", "", "ksql-server.properties file (key=value lines)")
	for _, f := range []struct{ flag, prop, usage string }{
		{"listeners", server.PropListeners, "listener URL (default http://0.0.0.0:8088); https needs ssl.keystore.location"},
		{"service-id", server.PropServiceID, "ksql.service.id (default default_)"},
		{"data-dir", server.PropStateDir, "data directory, ksql.streams.state.dir (default ./sluice-data)"},
		{"offset-reset", server.PropOffsetReset, "ksql.streams.auto.offset.reset: earliest or latest"},
		{"schema-registry-url", server.PropSchemaRegistry, "external schema registry URL; empty serves the embedded one at /schema-registry/"},
		{"log", server.PropLogBackend, "log backend: embedded, or kafka (with ksql.streams.bootstrap.servers)"},
		{"bootstrap-servers", "ksql.streams.bootstrap.servers", "Kafka host:port list for --log kafka; security settings go in the config file as ksql.streams.security.protocol, ksql.streams.sasl.*, ksql.streams.ssl.*"},
	} {
		sf.props[f.prop] = fs.String(f.flag, "", f.usage)
	}
	fs.Var(&sf.overrides, "prop", "extra property key=value (repeatable)")
	fs.StringVar(&sf.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	return sf
}

// properties merges the config file, --prop and the flags, in that order
// of increasing precedence.
func (sf *serverFlags) properties() (map[string]string, error) {
	props := map[string]string{}
	if sf.config != "" {
		p, err := server.LoadProperties(sf.config)
		if err != nil {
			return nil, err
		}
		props = p
	}
	for _, kv := range sf.overrides {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--prop %q: want key=value", kv)
		}
		props[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	for k, v := range sf.props {
		if *v != "" {
			props[k] = *v
		}
	}
	return props, nil
}

func (sf *serverFlags) logger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(sf.logLevel))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}

func runServer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("server", stderr)
	sf := addServerFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	props, err := sf.properties()
	if err != nil {
		fmt.Fprintf(stderr, "sluice server: %v\n", err)
		return 2
	}
	logger := sf.logger(stderr)
	if f := props[server.PropQueriesFile]; f != "" {
		return headless(ctx, f, props, logger, stdout, stderr)
	}
	node, err := server.OpenNode(ctx, server.NodeOptions{Props: props, Logger: logger, Version: version})
	if err != nil {
		fmt.Fprintf(stderr, "sluice server: %v\n", err)
		if errors.Is(err, server.ErrLogBackendUnavailable) {
			return 2
		}
		return 1
	}
	return serve(ctx, node, logger, stdout, stderr)
}

// serve runs node's API until ctx ends, then closes everything in order.
func serve(ctx context.Context, node *server.Node, logger *slog.Logger, stdout, stderr io.Writer) int {
	ln, tc, err := node.Listen()
	if err != nil {
		node.Close()
		fmt.Fprintf(stderr, "sluice: %v\n", err)
		return 1
	}
	scheme := "http"
	if tc != nil {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "Sluice %s listening on %s://%s\n", version, scheme, ln.Addr())
	logger.Info("server started", "addr", ln.Addr().String(), "tls", tc != nil)
	serveErr := node.Server.Serve(ctx, ln, tc)
	closeErr := node.Close()
	if serveErr != nil {
		fmt.Fprintf(stderr, "sluice: %v\n", serveErr)
		return 1
	}
	if closeErr != nil {
		fmt.Fprintf(stderr, "sluice: close: %v\n", closeErr)
		return 1
	}
	logger.Info("server stopped")
	return 0
}
