package connect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

// Options configures a Runtime. The zero value of every field but Log
// gets a default.
type Options struct {
	// Log is where records, offsets and sink consumer groups live.
	Log logstore.Log
	// Registry is the server's schema registry, used by the Avro
	// converter unless a connector names schema.registry.url.
	Registry SchemaRegistry
	// Plugins holds the connector classes, converters and transforms.
	// Default: NewPlugins(), which has converters and transforms only.
	Plugins *Plugins
	// Logger gets connector lifecycle and error logs. Default: discard.
	Logger *slog.Logger
	// KeyConverter and ValueConverter are the server's default converter
	// classes, as a Connect worker's key.converter / value.converter.
	// Default: AvroConverterClass for both, as in the seed's server.
	KeyConverter   string
	ValueConverter string
	// ConverterConfig holds server-level converter settings under their
	// worker names (key.converter.schemas.enable,
	// value.converter.schema.registry.url, ...); a connector's own keys
	// override them.
	ConverterConfig map[string]string
	// OffsetsTopic stores source offsets. Default DefaultOffsetsTopic.
	OffsetsTopic string
	// TopicPartitions is the partition count of topics a source connector
	// creates. Default 1.
	TopicPartitions int32
	// RestartBackoff is the first delay before a failed task restarts; it
	// doubles up to errors.retry.delay.max.ms. Default 1s.
	RestartBackoff time.Duration
}

// EnsureDefaults fills unset fields.
func (o *Options) EnsureDefaults() {
	if o.Plugins == nil {
		o.Plugins = NewPlugins()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.KeyConverter == "" {
		o.KeyConverter = AvroConverterClass
	}
	if o.ValueConverter == "" {
		o.ValueConverter = AvroConverterClass
	}
	if o.OffsetsTopic == "" {
		o.OffsetsTopic = DefaultOffsetsTopic
	}
	if o.TopicPartitions <= 0 {
		o.TopicPartitions = 1
	}
	if o.RestartBackoff <= 0 {
		o.RestartBackoff = time.Second
	}
}

// Errors callers compare with errors.Is.
var (
	ErrExists            = errors.New("connector already exists")
	ErrNotFound          = errors.New("connector not found")
	ErrClosed            = errors.New("connector runtime closed")
	ErrNoDeadLetterTopic = errors.New("no dead-letter topic configured")
)

// State is a connector's or task's state, named as Kafka Connect's REST
// API names them.
type State string

const (
	Unassigned State = "UNASSIGNED"
	Running    State = "RUNNING"
	Paused     State = "PAUSED"
	Failed     State = "FAILED"
)

// TaskStatus is one task's state.
type TaskStatus struct {
	ID    int
	State State
	// Trace is the task's last error, if it failed.
	Trace string
}

// Status describes a connector for SHOW CONNECTORS and DESCRIBE
// CONNECTOR.
type Status struct {
	Name  string
	Class string
	Kind  Kind
	State State
	Tasks []TaskStatus
	// Topics are the topics the connector wrote (source) or reads (sink),
	// sorted.
	Topics []string
	// Lag is, for a sink, the records not yet delivered; for a source,
	// what the task reports (a PostgreSQL connector reports the bytes of
	// WAL not yet confirmed), or 0.
	Lag int64
	// Records counts records written (source) or delivered (sink) since
	// the connector started in this process.
	Records uint64
	// LastError is the latest task failure, kept after a restart
	// succeeds, and LastErrorAt when it happened.
	LastError   string
	LastErrorAt time.Time
	// Config is the connector's config with secrets masked.
	Config   map[string]string
	Warnings []string
}

// LagReporter is implemented by source tasks that can tell how far behind
// their source they are.
type LagReporter interface {
	Lag() int64
}

// Runtime runs connectors. Its methods are safe for concurrent use.
type Runtime struct {
	opts Options

	mu         sync.Mutex
	closed     bool
	connectors map[string]*connector
}

// NewRuntime returns a runtime; connectors start with Create.
func NewRuntime(opts Options) *Runtime {
	opts.EnsureDefaults()
	return &Runtime{opts: opts, connectors: map[string]*connector{}}
}

// Create validates config and starts the connector. sink says whether the
// statement was CREATE SINK CONNECTOR; a class of the other kind is an
// error. Config errors are *ConfigError values (errors.Is ErrConfig); an
// existing name is ErrExists.
func (rt *Runtime) Create(ctx context.Context, name string, sink bool, config map[string]string) error {
	c, err := rt.build(name, sink, config)
	if err != nil {
		return err
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		return ErrClosed
	}
	if _, ok := rt.connectors[name]; ok {
		return fmt.Errorf("%w: %s", ErrExists, name)
	}
	rt.connectors[name] = c
	for _, w := range c.cfg.Warnings {
		c.log.Warn("connector config", "warning", w)
	}
	c.start()
	return nil
}

// Validate checks a config as Create would, without starting anything,
// and returns the warnings.
func (rt *Runtime) Validate(name string, sink bool, config map[string]string) ([]string, error) {
	c, err := rt.build(name, sink, config)
	if err != nil {
		return nil, err
	}
	return c.cfg.Warnings, nil
}

func (rt *Runtime) build(name string, sink bool, config map[string]string) (*connector, error) {
	raw := make(map[string]string, len(config)+1)
	for k, v := range config {
		raw[k] = v
	}
	if _, ok := raw["name"]; !ok {
		raw["name"] = name
	}
	className, ok := raw["connector.class"]
	if !ok {
		return nil, &ConfigError{Key: "connector.class", Msg: "missing required configuration with no default value"}
	}
	class, err := rt.opts.Plugins.Class(className)
	if err != nil {
		return nil, err
	}
	if (class.Kind == Sink) != sink {
		return nil, &ConfigError{Key: "connector.class", Msg: fmt.Sprintf("%s is a %s connector, not a %s connector", class.Name, strings.ToLower(class.Kind.String()), map[bool]string{true: "sink", false: "source"}[sink])}
	}
	spec := commonSpec.With(class.Spec)
	cfg, err := spec.Validate(raw)
	if err != nil {
		return nil, err
	}
	if sink && len(cfg.List("topics")) == 0 && cfg.String("topics.regex") == "" {
		return nil, &ConfigError{Key: "topics", Msg: "a sink connector needs topics or topics.regex"}
	}
	p, err := rt.pipeline(cfg)
	if err != nil {
		return nil, err
	}
	log := rt.opts.Logger.With("connector", name)
	return &connector{rt: rt, name: name, class: class, cfg: cfg, pipe: p, log: log,
		state: Unassigned, topics: map[string]bool{}}, nil
}

// Drop stops a connector and forgets it. Its topics and stored offsets
// stay, as in Kafka Connect, so a connector created again with the same
// name resumes.
func (rt *Runtime) Drop(ctx context.Context, name string) error {
	rt.mu.Lock()
	c, ok := rt.connectors[name]
	if ok {
		delete(rt.connectors, name)
	}
	rt.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return c.stop(ctx)
}

// List returns every connector's status, sorted by name.
func (rt *Runtime) List() []Status {
	rt.mu.Lock()
	cs := make([]*connector, 0, len(rt.connectors))
	for _, c := range rt.connectors {
		cs = append(cs, c)
	}
	rt.mu.Unlock()
	out := make([]Status, len(cs))
	for i, c := range cs {
		out[i] = c.status()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Describe returns one connector's status, or ErrNotFound.
func (rt *Runtime) Describe(name string) (Status, error) {
	rt.mu.Lock()
	c, ok := rt.connectors[name]
	rt.mu.Unlock()
	if !ok {
		return Status{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return c.status(), nil
}

// Pause stops a connector's task without forgetting it; Resume starts it
// again from its committed offsets.
func (rt *Runtime) Pause(ctx context.Context, name string) error {
	rt.mu.Lock()
	c, ok := rt.connectors[name]
	rt.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err := c.stop(ctx); err != nil {
		return err
	}
	c.setState(Paused, nil)
	return nil
}

// Resume restarts a paused connector.
func (rt *Runtime) Resume(name string) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	c, ok := rt.connectors[name]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	c.mu.Lock()
	paused := c.state == Paused
	c.mu.Unlock()
	if paused {
		c.start()
	}
	return nil
}

// Close stops every connector and waits for their tasks.
func (rt *Runtime) Close() error {
	rt.mu.Lock()
	rt.closed = true
	cs := rt.connectors
	rt.connectors = map[string]*connector{}
	rt.mu.Unlock()
	var errs []error
	for _, c := range cs {
		if err := c.stop(context.Background()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
