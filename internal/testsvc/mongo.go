package testsvc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

const (
	ferretModule  = "github.com/FerretDB/FerretDB"
	ferretVersion = "v1.24.2"
	// mongoReplSet is the replica set name FerretDB reports in hello, so
	// that clients which insist on a replica set (as oplog readers do)
	// accept it.
	mongoReplSet = "rs0"
	// oplogBytes sizes the capped local.oplog.rs collection. FerretDB's
	// SQLite backend pushes no filter on ts down, so every oplog query
	// reads the whole collection: at 256 MiB (half a million entries of
	// about 500 bytes) one query took 16-26 s. 64 MiB still holds the
	// MongoDB crash test's 100,000 changes in flight with room to spare.
	// FerretDB trims a capped collection 10% at a time (see launch).
	oplogBytes = 64 << 20
)

// ferret is FerretDB, a MongoDB-wire server in Go, on its SQLite backend so
// that it starts independently of PostgreSQL. It is built from the module
// source; it is deliberately not a dependency of Sluice's go.mod.
type ferret struct{}

func (ferret) name() Name                  { return MongoName }
func (ferret) version() string             { return ferretVersion }
func (ferret) stopSignal() syscall.Signal  { return syscall.SIGTERM }
func (ferret) startTimeout() time.Duration { return time.Minute }

func ferretBinary(o *Options) string {
	return filepath.Join(o.Cache, "ferretdb-"+ferretVersion, "ferretdb")
}

// install builds the ferretdb binary. The module source comes read-only
// from the module cache, and the build needs build/version/version.txt to
// hold the version (an empty one panics at start), so the source is copied
// to a scratch directory first. The scratch module cache and build cache
// are dropped afterwards: only the binary is worth keeping.
func (ferret) install(ctx context.Context, o *Options) error {
	bin := ferretBinary(o)
	if _, err := os.Stat(bin); err == nil {
		return nil
	}
	scratch := filepath.Join(o.Cache, "ferretdb-build")
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("testsvc: %w", err)
	}
	if err := os.MkdirAll(scratch, 0o755); err != nil {
		return fmt.Errorf("testsvc: %w", err)
	}
	defer os.RemoveAll(scratch)
	env := append(os.Environ(),
		"GOMODCACHE="+filepath.Join(scratch, "mod"),
		"GOCACHE="+filepath.Join(scratch, "cache"),
		// Writable module files let RemoveAll clean up the scratch cache.
		"GOFLAGS=-modcacherw -buildvcs=false",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
		"CGO_ENABLED=0",
	)
	o.Logger.Info("building FerretDB", "version", ferretVersion)
	dl := exec.CommandContext(ctx, "go", "mod", "download", "-json", ferretModule+"@"+ferretVersion)
	dl.Env = env
	dl.Dir = scratch
	out, err := dl.Output()
	if err != nil {
		return fmt.Errorf("testsvc: go mod download %s@%s: %w", ferretModule, ferretVersion, errorWithStderr(err))
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil {
		return fmt.Errorf("testsvc: go mod download output: %w", err)
	}
	if mod.Error != "" || mod.Dir == "" {
		return fmt.Errorf("testsvc: go mod download %s@%s: %s", ferretModule, ferretVersion, mod.Error)
	}
	src := filepath.Join(scratch, "src")
	if err := copyTree(mod.Dir, src); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(src, "build", "version", "version.txt"), []byte(ferretVersion+"\n"), 0o644); err != nil {
		return fmt.Errorf("testsvc: version.txt: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return fmt.Errorf("testsvc: %w", err)
	}
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin+".tmp", "./cmd/ferretdb")
	build.Env = env
	build.Dir = src
	if err := run(build); err != nil {
		return err
	}
	if err := os.Rename(bin+".tmp", bin); err != nil {
		return fmt.Errorf("testsvc: %w", err)
	}
	return nil
}

func errorWithStderr(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, lastBytes(ee.Stderr, 2000))
	}
	return err
}

// copyTree copies a source tree into a new writable directory.
func copyTree(from, to string) error {
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("testsvc: copy %s: %w", from, err)
	}
	return nil
}

func (ferret) launch(_ context.Context, o *Options, dir string, st *State) error {
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	for _, d := range []string{"data", "state"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("%s dir: %w", d, err)
		}
	}
	// The debug listener defaults to 127.0.0.1:8088, which is Sluice's own
	// port, so it gets a spare one.
	cmd := exec.Command(ferretBinary(o),
		"--handler=sqlite",
		"--sqlite-url=file:"+filepath.Join(dir, "data")+"/",
		"--state-dir="+filepath.Join(dir, "state"),
		"--listen-addr=127.0.0.1:"+strconv.Itoa(ports[0]),
		"--debug-addr=127.0.0.1:"+strconv.Itoa(ports[1]),
		"--repl-set-name="+mongoReplSet,
		"--telemetry=disable",
		// Trim the capped oplog every 10 s rather than every minute, so
		// that it stays near oplogBytes after a test writes 100,000
		// changes: every oplog query reads all of it.
		"--test-capped-cleanup-interval=10s",
		"--log-format=text",
	)
	pid, err := spawn(cmd, st.Log)
	if err != nil {
		return err
	}
	st.PID = pid
	st.Ports = map[string]int{"mongo": ports[0], "debug": ports[1]}
	st.URL = fmt.Sprintf("mongodb://127.0.0.1:%d/?replicaSet=%s", ports[0], mongoReplSet)
	return nil
}

func mongoConnect(st *State) (*mongo.Client, error) {
	return mongo.Connect(options.Client().ApplyURI(st.URL).
		SetServerSelectionTimeout(3 * time.Second).
		SetConnectTimeout(3 * time.Second))
}

func (ferret) ping(ctx context.Context, st *State) error {
	cl, err := mongoConnect(st)
	if err != nil {
		return err
	}
	defer cl.Disconnect(context.Background())
	return cl.Ping(ctx, nil)
}

// ready creates the oplog. FerretDB has no change streams; it appends to
// local.oplog.rs only when that collection already exists and is capped.
// An oplog left by an older testsvc with a larger cap is made again at
// the current size: ready runs only when the service has just started,
// so no reader holds a position in it.
func (ferret) ready(ctx context.Context, st *State) error {
	cl, err := mongoConnect(st)
	if err != nil {
		return err
	}
	defer cl.Disconnect(context.Background())
	local := cl.Database("local")
	names, err := local.ListCollectionNames(ctx, bson.D{{Key: "name", Value: "oplog.rs"}})
	if err != nil {
		return fmt.Errorf("list local collections: %w", err)
	}
	if len(names) > 0 {
		var stats struct {
			MaxSize int64 `bson:"maxSize"`
		}
		if err := local.RunCommand(ctx, bson.D{{Key: "collStats", Value: "oplog.rs"}}).Decode(&stats); err != nil {
			return fmt.Errorf("collStats local.oplog.rs: %w", err)
		}
		if stats.MaxSize <= oplogBytes {
			return nil
		}
		if err := local.Collection("oplog.rs").Drop(ctx); err != nil {
			return fmt.Errorf("drop the %d-byte local.oplog.rs: %w", stats.MaxSize, err)
		}
	}
	cmd := bson.D{{Key: "create", Value: "oplog.rs"}, {Key: "capped", Value: true}, {Key: "size", Value: int64(oplogBytes)}}
	if err := local.RunCommand(ctx, cmd).Err(); err != nil {
		return fmt.Errorf("create local.oplog.rs: %w", err)
	}
	return nil
}
