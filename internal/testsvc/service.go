package testsvc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Name identifies a service.
type Name string

// The services the harness runs.
const (
	PostgresName Name = "postgres"
	KafkaName    Name = "kafka"
	SearchName   Name = "search"
	MongoName    Name = "mongo"
	// ElasticName is an Elasticsearch node beside OpenSearch (search).
	ElasticName Name = "elastic"
)

// Names returns every service, in start order.
func Names() []Name { return []Name{PostgresName, KafkaName, SearchName, MongoName, ElasticName} }

// ErrUnknownService is returned for a name that is not one of Names.
var ErrUnknownService = errors.New("testsvc: unknown service")

// ErrNotRunning is returned by Status for a service that is not up.
var ErrNotRunning = errors.New("testsvc: service not running")

// State is what the harness records about a running service in
// .services/<name>/state.json, and what callers use to reach it.
type State struct {
	Name    Name           `json:"name"`
	Version string         `json:"version"`
	PID     int            `json:"pid"`
	Ports   map[string]int `json:"ports"`
	// URL is how clients connect: a PostgreSQL DSN, a Kafka bootstrap
	// address, an HTTP URL or a mongodb:// URI.
	URL     string    `json:"url"`
	Log     string    `json:"log"`
	Started time.Time `json:"started"`
}

// service is one kind of server the harness can run. Implementations keep
// no state of their own; everything that outlives a call is in State.
type service interface {
	name() Name
	version() string
	// install makes the binaries available; it runs under the install
	// lock and must be a no-op when they already are.
	install(ctx context.Context, o *Options) error
	// launch prepares dir (empty apart from the log) and spawns the
	// server, filling st.PID, st.Ports and st.URL.
	launch(ctx context.Context, o *Options, dir string, st *State) error
	// ping checks readiness over the service's own protocol.
	ping(ctx context.Context, st *State) error
	// ready runs once after the first successful ping, for set-up that
	// needs a running server.
	ready(ctx context.Context, st *State) error
	// stopSignal is the signal that shuts the server down quickly and
	// cleanly.
	stopSignal() syscall.Signal
	// startTimeout bounds the wait for the first successful ping.
	startTimeout() time.Duration
}

// scratcher is implemented by services that keep files outside their
// service directory; those are removed with it.
type scratcher interface {
	scratchDirs(dir string) []string
}

// removeServiceDir deletes the running state of s, wherever it lives.
func removeServiceDir(s service, dir string) error {
	dirs := []string{dir}
	if sc, ok := s.(scratcher); ok {
		dirs = append(dirs, sc.scratchDirs(dir)...)
	}
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("testsvc: clean %s: %w", d, err)
		}
	}
	return nil
}

func lookup(n Name) (service, error) {
	switch n {
	case PostgresName:
		return postgres{}, nil
	case KafkaName:
		return kafka{}, nil
	case SearchName:
		return search{}, nil
	case MongoName:
		return ferret{}, nil
	case ElasticName:
		return elastic{}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownService, n)
}

func (o *Options) serviceDir(n Name) string { return filepath.Join(o.servicesDir(), string(n)) }
func (o *Options) statePath(n Name) string  { return filepath.Join(o.serviceDir(n), "state.json") }
func (o *Options) lockPath(n Name) string {
	return filepath.Join(o.servicesDir(), string(n)+".lock")
}

func readState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("testsvc: parse %s: %w", path, err)
	}
	return &st, nil
}

func writeState(path string, st *State) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("testsvc: encode state: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("testsvc: write state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("testsvc: write state: %w", err)
	}
	return nil
}

// healthy reports whether the recorded service is the one running: its
// process lives and it answers a protocol ping.
func healthy(ctx context.Context, s service, st *State) error {
	if !alive(st.PID) {
		return fmt.Errorf("%w: pid %d is gone", ErrNotRunning, st.PID)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.ping(pctx, st); err != nil {
		return fmt.Errorf("%w: ping: %v", ErrNotRunning, err)
	}
	return nil
}

// retryPing pings st until it answers, its process dies or d passes.
func retryPing(ctx context.Context, s service, st *State, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		err := healthy(ctx, s, st)
		if err == nil || !alive(st.PID) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// ensure returns the state of a healthy instance of n, starting one if
// needed. It holds the service lock throughout, so concurrent callers in
// any process share one instance.
func ensure(ctx context.Context, o *Options, n Name) (*State, error) {
	s, err := lookup(n)
	if err != nil {
		return nil, err
	}
	return ensureService(ctx, o, s)
}

func ensureService(ctx context.Context, o *Options, s service) (*State, error) {
	n := s.name()
	lk, err := lockFile(ctx, o.lockPath(n))
	if err != nil {
		return nil, err
	}
	defer lk.unlock()

	if st, err := readState(o.statePath(n)); err == nil {
		herr := healthy(ctx, s, st)
		if herr != nil && st.Version == s.version() && owned(st.PID, o.serviceDir(n)) {
			// A live server that misses one ping is more likely slow (a
			// loaded machine, a GC pause) than broken, and replacing it
			// would break every test using it; give it a while.
			herr = retryPing(ctx, s, st, 30*time.Second)
		}
		if herr == nil && st.Version == s.version() {
			return st, nil
		}
		o.Logger.Info("replacing stale service", "service", n, "pid", st.PID, "reason", herr)
		if owned(st.PID, o.serviceDir(n)) {
			if err := terminate(st.PID, syscall.SIGKILL, 5*time.Second); err != nil {
				return nil, err
			}
		}
	}
	// Whatever is left belongs to a dead or unrecorded instance; a fresh
	// start from empty directories is the one behaviour that is always
	// right.
	dir := o.serviceDir(n)
	if err := removeServiceDir(s, dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("testsvc: %w", err)
	}

	began := time.Now()
	if err := installLocked(ctx, o, s); err != nil {
		return nil, err
	}
	if d := time.Since(began); d > time.Second {
		o.Logger.Info("installed", "service", n, "version", s.version(), "took", d.Round(time.Millisecond))
	}

	st := &State{Name: n, Version: s.version(), Log: filepath.Join(dir, string(n)+".log"), Started: time.Now().UTC()}
	began = time.Now()
	if err := s.launch(ctx, o, dir, st); err != nil {
		return nil, fmt.Errorf("testsvc: start %s: %w\n--- %s (tail) ---\n%s", n, err, st.Log, tail(st.Log, 40))
	}
	// Record the pid before waiting, so a crash of this process during the
	// wait leaves something the next caller can clean up.
	if err := writeState(o.statePath(n), st); err != nil {
		return nil, err
	}
	if err := waitReady(ctx, s, st); err != nil {
		_ = terminate(st.PID, syscall.SIGKILL, 5*time.Second)
		_ = os.Remove(o.statePath(n))
		return nil, fmt.Errorf("testsvc: start %s: %w\n--- %s (tail) ---\n%s", n, err, st.Log, tail(st.Log, 40))
	}
	o.Logger.Info("started", "service", n, "url", st.URL, "pid", st.PID, "took", time.Since(began).Round(time.Millisecond))
	return st, nil
}

func installLocked(ctx context.Context, o *Options, s service) error {
	lk, err := lockFile(ctx, filepath.Join(o.Cache, string(s.name())+".lock"))
	if err != nil {
		return err
	}
	defer lk.unlock()
	if err := s.install(ctx, o); err != nil {
		return fmt.Errorf("testsvc: install %s %s: %w", s.name(), s.version(), err)
	}
	return nil
}

// waitReady pings until the service answers, the process dies or the
// start timeout passes.
func waitReady(ctx context.Context, s service, st *State) error {
	ctx, cancel := context.WithTimeout(ctx, s.startTimeout())
	defer cancel()
	var last error
	for {
		if !alive(st.PID) {
			return fmt.Errorf("process %d exited during start-up (last ping: %v)", st.PID, last)
		}
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		last = s.ping(pctx, st)
		pcancel()
		if last == nil {
			if err := s.ready(ctx, st); err != nil {
				return fmt.Errorf("post-start set-up: %w", err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %w (last ping: %v)", s.startTimeout(), ctx.Err(), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Start ensures the named services (all of them when names is empty) are
// running and returns their states. Independent services start in
// parallel; a failure of one does not stop the others, and the error names
// every service that failed.
func Start(ctx context.Context, o Options, names ...Name) (map[Name]*State, error) {
	if err := o.EnsureDefaults(); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		names = Names()
	}
	type result struct {
		n   Name
		st  *State
		err error
	}
	results := make(chan result, len(names))
	for _, n := range names {
		go func() {
			st, err := ensure(ctx, &o, n)
			results <- result{n, st, err}
		}()
	}
	out := make(map[Name]*State, len(names))
	var errs []error
	for range names {
		r := <-results
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		out[r.n] = r.st
	}
	return out, errors.Join(errs...)
}

// Stop shuts the named services down (all when names is empty) and
// deletes their running state and data. Installs stay cached.
func Stop(ctx context.Context, o Options, names ...Name) error {
	if err := o.EnsureDefaults(); err != nil {
		return err
	}
	if len(names) == 0 {
		names = Names()
	}
	var errs []error
	for _, n := range names {
		if err := stop(ctx, &o, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func stop(ctx context.Context, o *Options, n Name) error {
	s, err := lookup(n)
	if err != nil {
		return err
	}
	lk, err := lockFile(ctx, o.lockPath(n))
	if err != nil {
		return err
	}
	defer lk.unlock()
	if st, err := readState(o.statePath(n)); err == nil && owned(st.PID, o.serviceDir(n)) {
		if err := terminate(st.PID, s.stopSignal(), 60*time.Second); err != nil {
			return err
		}
		o.Logger.Info("stopped", "service", n, "pid", st.PID)
	}
	return removeServiceDir(s, o.serviceDir(n))
}

// Status returns the state of each named service that is running and
// healthy; the error wraps ErrNotRunning for the others.
func Status(ctx context.Context, o Options, names ...Name) (map[Name]*State, error) {
	if err := o.EnsureDefaults(); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		names = Names()
	}
	out := make(map[Name]*State, len(names))
	var errs []error
	for _, n := range names {
		s, err := lookup(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st, err := readState(o.statePath(n))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n, ErrNotRunning))
			continue
		}
		if err := healthy(ctx, s, st); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n, err))
			continue
		}
		out[n] = st
	}
	return out, errors.Join(errs...)
}
