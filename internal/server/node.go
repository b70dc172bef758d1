package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/plugins"
	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	"github.com/sluicedb/sluice/internal/processinglog"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
)

// ErrLogBackendUnavailable is a log backend this build cannot run yet.
var ErrLogBackendUnavailable = errors.New("log backend not available yet")

// NodeOptions configures a Node: a whole server process's parts.
type NodeOptions struct {
	// Props are the ksql-server.properties, with flags applied.
	Props   map[string]string
	Logger  *slog.Logger
	Version string
	// Headless refuses statements on /ksql (sluice run).
	Headless bool
	// Queries runs transient queries; nil runs them on the engine.
	Queries QueryEngine
}

// Node is a running Sluice server's storage, registry, engine and API,
// opened in dependency order and closed in reverse.
type Node struct {
	Engine   *engine.Engine
	Server   *Server
	Log      logstore.Log
	State    *pebblestore.DB
	Registry *registry.Embedded
	Connect  *connect.Runtime
	// ProcessingLog writes queries' per-record errors to the processing
	// log topic; nil when ksql.logging.processing.topic.auto.create is off.
	ProcessingLog *processinglog.Writer
	props         map[string]string
	logger        *slog.Logger
	// ln is the listener OpenNode opened early to learn the address it
	// advertises to the other servers (kafka backend); Listen hands it
	// out.
	ln    net.Listener
	lnTLS *tls.Config
}

// OpenNode opens the data directory and assembles a server.
func OpenNode(ctx context.Context, opts NodeOptions) (*Node, error) {
	props := opts.Props
	if props == nil {
		props = map[string]string{}
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	backend := props[PropLogBackend]
	if backend != "" && backend != "embedded" && backend != "kafka" {
		return nil, fmt.Errorf("%s=%s: %w (embedded or kafka)", PropLogBackend, backend, ErrLogBackendUnavailable)
	}
	dir := props[PropStateDir]
	if dir == "" {
		dir = "sluice-data"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	sync := embedded.SyncAlways
	if props[PropSyncMode] == "never" {
		sync = embedded.SyncNever
	}
	n := &Node{props: props, logger: logger}
	var err error
	if backend == "kafka" {
		n.Log, err = openKafka(ctx, props, logger)
	} else {
		n.Log, err = embedded.Open(filepath.Join(dir, "log"), embedded.Options{Sync: sync})
	}
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	n.State, err = pebblestore.Open(filepath.Join(dir, "state"), pebblestore.Options{Logger: logger})
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("open state: %w", err)
	}
	var reg format.Registry
	var regHandler http.Handler
	var sr registry.Registry
	if u := props[PropSchemaRegistry]; u != "" {
		c, err := registry.NewClient(registry.ClientOptions{URL: u})
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("schema registry client: %w", err)
		}
		reg = engine.SchemaRegistry(c)
		sr = c
	} else {
		n.Registry, err = registry.Open(ctx, n.Log, registry.Options{Logger: logger})
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("open schema registry: %w", err)
		}
		reg = engine.SchemaRegistry(n.Registry)
		regHandler = n.Registry.Handler()
		sr = n.Registry
	}
	n.Connect = connect.NewRuntime(connectOptions(props, n.Log, sr, logger))
	cfg := map[string]string{}
	for k, v := range props {
		if strings.HasPrefix(k, "ksql.") {
			cfg[k] = v
		}
	}
	streamsAliases(cfg)
	fns := builtin.New()
	serviceID := props[PropServiceID]
	if serviceID == "" {
		serviceID = "default_"
	}
	plogTopic, err := n.openProcessingLog(ctx, props, serviceID, logger)
	if err != nil {
		n.Close()
		return nil, err
	}
	eopts := engine.Options{Log: n.Log, State: n.State, Registry: reg, Functions: fns,
		ServiceID: serviceID, Config: cfg, Logger: logger, Connectors: n.Connect}
	if backend == "kafka" {
		// Servers sharing queries forward pull queries to each other, so
		// each advertises where it listens when it joins a query's group,
		// which happens as the catalog is restored, before Serve.
		if n.ln, n.lnTLS, err = n.listen(); err != nil {
			n.Close()
			return nil, err
		}
		eopts.Advertised = advertisedURL(props, n.ln, n.lnTLS != nil)
		eopts.Forward = &PullClient{}
	}
	if n.ProcessingLog != nil {
		eopts.ProcessingLog = n.ProcessingLog
	}
	n.Engine = engine.New(eopts)
	// Headless mode re-runs its file at every start, as ksqlDB's does, so
	// only an interactive server keeps and replays the command log.
	if !opts.Headless {
		if err := n.Engine.Restore(ctx); err != nil {
			n.Close()
			return nil, fmt.Errorf("restore catalog: %w", err)
		}
		if err := n.createProcessingLogStream(ctx, props, plogTopic); err != nil {
			n.Close()
			return nil, err
		}
	}
	auth, err := authFromProps(props)
	if err != nil {
		n.Close()
		return nil, err
	}
	maxBody, err := intProp(props, PropMaxBodyBytes, 0)
	if err != nil {
		n.Close()
		return nil, err
	}
	maxStmt, err := intProp(props, PropMaxStatementSize, 0)
	if err != nil {
		n.Close()
		return nil, err
	}
	queries := opts.Queries
	if queries == nil {
		queries = EngineQueries{Engine: n.Engine}
	}
	n.Server, err = New(Options{Engine: n.Engine, Queries: queries, Log: n.Log, Functions: fns,
		Config: props, ServiceID: serviceID, Version: opts.Version, Logger: logger, Auth: auth,
		Headless: opts.Headless, MaxBodyBytes: maxBody, MaxStatementBytes: int(maxStmt), SchemaRegistry: regHandler})
	if err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func authFromProps(props map[string]string) (*BasicAuth, error) {
	method := strings.ToUpper(props[PropAuthMethod])
	if method == "" || method == "NONE" {
		return nil, nil
	}
	if method != "BASIC" {
		return nil, fmt.Errorf("config: %s=%s is not supported (NONE or BASIC)", PropAuthMethod, method)
	}
	users := map[string]string{}
	if f := props[PropAuthUsersFile]; f != "" {
		u, err := LoadUsers(f)
		if err != nil {
			return nil, err
		}
		users = u
	}
	for _, pair := range strings.Split(props[PropAuthUsers], ",") {
		if u, p, ok := strings.Cut(strings.TrimSpace(pair), ":"); ok {
			users[u] = p
		}
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("config: %s=BASIC needs users in %s or %s", PropAuthMethod, PropAuthUsersFile, PropAuthUsers)
	}
	var skip []string
	for _, p := range strings.Split(props[PropAuthSkipPaths], ",") {
		if p = strings.TrimSpace(p); p != "" {
			skip = append(skip, p)
		}
	}
	return &BasicAuth{Realm: props[PropAuthRealm], Users: users, SkipPaths: skip}, nil
}

// Listen opens the first listener of the listeners property and returns
// it with the TLS config an https listener needs.
func (n *Node) Listen() (net.Listener, *tls.Config, error) {
	if ln := n.ln; ln != nil {
		n.ln = nil
		return ln, n.lnTLS, nil
	}
	return n.listen()
}

// advertisedURL is the URL other servers reach this one at: ksqlDB's
// ksql.internal.listener or ksql.advertised.listener if set, else the
// listener's address, with a wildcard host replaced by the host name.
func advertisedURL(props map[string]string, ln net.Listener, https bool) string {
	for _, p := range []string{PropInternalListener, PropAdvertisedListener} {
		if v := strings.TrimSpace(props[p]); v != "" {
			return strings.TrimRight(v, "/")
		}
	}
	host, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	scheme := "http"
	if https {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

func (n *Node) listen() (net.Listener, *tls.Config, error) {
	l := n.props[PropListeners]
	if l == "" {
		l = "http://0.0.0.0:8088"
	}
	first := strings.TrimSpace(strings.Split(l, ",")[0])
	u, err := url.Parse(first)
	if err != nil || u.Host == "" {
		return nil, nil, fmt.Errorf("config: %s: bad listener %q", PropListeners, first)
	}
	var tc *tls.Config
	switch u.Scheme {
	case "http":
	case "https":
		cert, key := n.props[PropTLSCert], n.props[PropTLSKey]
		if key == "" {
			key = cert
		}
		if cert == "" {
			return nil, nil, fmt.Errorf("config: an https listener needs %s (PEM certificate) and %s (PEM key)", PropTLSCert, PropTLSKey)
		}
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, nil, fmt.Errorf("config: TLS key pair: %w", err)
		}
		tc = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	default:
		return nil, nil, fmt.Errorf("config: %s: scheme %q is not http or https", PropListeners, u.Scheme)
	}
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	return ln, tc, nil
}

// Close stops the API's queries, then closes the engine, the state and the
// log, in that order, so no query writes to a closed store.
func (n *Node) Close() error {
	var errs []error
	if n.ln != nil {
		errs = append(errs, n.ln.Close())
		n.ln = nil
	}
	if n.Server != nil {
		n.Server.Close()
	}
	if n.Connect != nil {
		errs = append(errs, n.Connect.Close())
	}
	if n.Engine != nil {
		errs = append(errs, n.Engine.Close())
	}
	if n.ProcessingLog != nil {
		errs = append(errs, n.ProcessingLog.Close())
	}
	if n.State != nil {
		errs = append(errs, n.State.Close())
	}
	if n.Log != nil {
		errs = append(errs, n.Log.Close())
	}
	return errors.Join(errs...)
}

// openKafka opens the Kafka backend from ksqlDB's properties:
// ksql.streams.bootstrap.servers (or bootstrap.servers), and a Kafka
// client's security settings, prefixed or not (kafka.FromProperties).
func openKafka(ctx context.Context, props map[string]string, logger *slog.Logger) (logstore.Log, error) {
	opts, err := kafka.FromProperties(props, logger)
	if err != nil {
		return nil, err
	}
	if len(opts.BootstrapServers) == 0 {
		return nil, fmt.Errorf("%s=kafka needs ksql.streams.bootstrap.servers (--bootstrap-servers)", PropLogBackend)
	}
	return kafka.Open(ctx, opts)
}

// connectOptions maps ksqlDB's embedded Connect worker settings
// (connect.key.converter, connect.value.converter.schemas.enable, ... as
// the tutorial's KSQL_CONNECT_* environment sets them) to the runtime.
func connectOptions(props map[string]string, lg logstore.Log, sr registry.Registry, logger *slog.Logger) connect.Options {
	o := connect.Options{Log: lg, Registry: sr, Plugins: plugins.New(), Logger: logger, ConverterConfig: map[string]string{}}
	for k, v := range props {
		key, ok := strings.CutPrefix(k, "connect.")
		if !ok {
			continue
		}
		switch key {
		case "key.converter":
			o.KeyConverter = v
		case "value.converter":
			o.ValueConverter = v
		default:
			if strings.HasPrefix(key, "key.converter.") || strings.HasPrefix(key, "value.converter.") {
				o.ConverterConfig[key] = v
			}
		}
	}
	return o
}
