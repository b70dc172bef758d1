// Package server owns Sluice's ksqlDB-compatible REST API: /ksql with the
// admin statements ksqlDB answers in its REST layer (SHOW, LIST, DESCRIBE,
// EXPLAIN), the query endpoints (/query, /query-stream, /inserts-stream,
// /close-query, /ws/query), /info, /healthcheck, /status and /metrics, with
// basic authentication, TLS, request limits and secret masking. It executes
// statements through the engine and never changes the catalog itself.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/net/http2"

	"github.com/sluicedb/sluice/internal/server/console"
	"golang.org/x/net/http2/h2c"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/logstore"
)

// Options configures a Server. Engine is required; the rest have defaults.
type Options struct {
	Engine *engine.Engine
	// Queries runs transient (push and pull) queries. Nil answers every
	// SELECT with ErrQueriesUnavailable.
	Queries QueryEngine
	// Log lists topics for SHOW TOPICS; nil lists none.
	Log logstore.Log
	// Functions answers SHOW FUNCTIONS and DESCRIBE FUNCTION.
	Functions *function.Registry
	// Config is the server's configuration, shown by SHOW PROPERTIES with
	// secrets masked.
	Config    map[string]string
	ServiceID string
	Version   string
	Logger    *slog.Logger
	// Auth enables HTTP basic authentication when it has users.
	Auth *BasicAuth
	// Headless refuses statements on /ksql, as ksqlDB does when it runs a
	// queries file.
	Headless bool
	// MaxBodyBytes bounds a request body. Default 8 MiB.
	MaxBodyBytes int64
	// MaxStatementBytes bounds one statement. Default 1 MiB.
	MaxStatementBytes int
	// SchemaRegistry, if set, is mounted at /schema-registry/.
	SchemaRegistry http.Handler
	// Metrics is the registry /metrics serves; New creates one if nil.
	Metrics *prometheus.Registry
}

func (o *Options) ensureDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ServiceID == "" {
		o.ServiceID = "default_"
	}
	if o.Version == "" {
		o.Version = "0.29.0-sluice"
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 8 << 20
	}
	if o.MaxStatementBytes <= 0 {
		o.MaxStatementBytes = 1 << 20
	}
	if o.Config == nil {
		o.Config = map[string]string{}
	}
	if o.Metrics == nil {
		o.Metrics = prometheus.NewRegistry()
	}
}

// Server is the REST API. Its methods are safe for concurrent use.
type Server struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	handler http.Handler

	mu sync.Mutex
	// seq numbers commands as ksqlDB's command topic does.
	seq int64
	// statuses holds each command's final status for /status.
	statuses map[string]commandStatus
	// transient tracks running transient queries so /close-query can stop
	// them.
	transient map[string]context.CancelFunc
	nextQuery int64
	// wg waits for query goroutines the server started.
	wg sync.WaitGroup
}

// New returns a server. It does not listen; use Handler or Serve.
func New(opts Options) (*Server, error) {
	if opts.Engine == nil {
		return nil, errors.New("server: Options.Engine is required")
	}
	opts.ensureDefaults()
	s := &Server{
		opts:      opts,
		log:       opts.Logger,
		statuses:  map[string]commandStatus{},
		transient: map[string]context.CancelFunc{},
	}
	m, err := newMetrics(opts.Metrics, s)
	if err != nil {
		return nil, fmt.Errorf("server: metrics: %w", err)
	}
	s.metrics = m
	s.handler = s.routes()
	return s, nil
}

// Handler returns the API's handler, serving HTTP/1.1 and cleartext HTTP/2.
func (s *Server) Handler() http.Handler {
	return h2c.NewHandler(s.handler, &http2.Server{})
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ksql", s.handleKsql)
	mux.HandleFunc("POST /ksql/terminate", s.handleTerminate)
	mux.HandleFunc("POST /query", s.handleQuery)
	mux.HandleFunc("POST /query-stream", s.handleQueryStream)
	mux.HandleFunc("POST /inserts-stream", s.handleInsertsStream)
	mux.HandleFunc("POST /close-query", s.handleCloseQuery)
	mux.HandleFunc("GET /ws/query", s.handleWebsocket)
	mux.HandleFunc("GET /info", s.handleInfo)
	mux.HandleFunc("GET /healthcheck", s.handleHealth)
	mux.HandleFunc("GET /status", s.handleStatuses)
	mux.HandleFunc("GET /status/{type}/{entity}/{action}", s.handleStatus)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("POST "+internalPullPath, s.handleInternalPull)
	if s.opts.SchemaRegistry != nil {
		mux.Handle("/schema-registry/", http.StripPrefix("/schema-registry", s.opts.SchemaRegistry))
	}
	mux.Handle("/console/", http.StripPrefix("/console", console.Handler()))
	mux.Handle("GET /{$}", http.RedirectHandler("/console/", http.StatusFound))
	var h http.Handler = mux
	h = s.metrics.instrument(h)
	if s.opts.Auth.enabled() {
		h = s.opts.Auth.wrap(h)
	}
	return h
}

// Serve serves on ln until ctx is done, then shuts down gracefully: it stops
// accepting, cancels transient queries, and waits for handlers up to 10s.
// tlsConfig, if not nil, serves HTTPS (HTTP/2 negotiated by ALPN).
func (s *Server) Serve(ctx context.Context, ln net.Listener, tlsConfig *tls.Config) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if tlsConfig != nil {
		hs.TLSConfig = tlsConfig
		if err := http2.ConfigureServer(hs, &http2.Server{}); err != nil {
			return fmt.Errorf("server: http2: %w", err)
		}
		ln = tls.NewListener(ln, hs.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.cancelTransient()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	s.Close()
	if err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	return nil
}

// Close cancels every transient query and waits for their goroutines. It
// leaves the engine alone: its owner closes it.
func (s *Server) Close() {
	s.cancelTransient()
	s.wg.Wait()
}

func (s *Server) cancelTransient() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cancel := range s.transient {
		cancel()
	}
}
