package elasticsearch_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// privateSearch starts an OpenSearch node of the test harness under a
// private root, so this test may restart it without disturbing the node
// every other test shares. It returns the node's URL and a function that
// restarts the node's process with its data directory intact.
func privateSearch(t *testing.T) (url string, restart func()) {
	t.Helper()
	if testing.Short() {
		t.Skip("restarts a private search node; skipped under -short")
	}
	repo, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.Symlink(filepath.Join(repo, "services"), filepath.Join(root, "services")); err != nil {
		t.Fatal(err)
	}
	o := testsvc.Options{Root: root, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	sts, err := testsvc.Start(ctx, o, testsvc.SearchName)
	if err != nil {
		t.Fatalf("private search node: %v", err)
	}
	st := sts[testsvc.SearchName]
	pid := st.PID
	var relaunched *exec.Cmd
	t.Cleanup(func() {
		if relaunched != nil {
			relaunched.Process.Signal(syscall.SIGTERM)
			relaunched.Wait()
		}
		testsvc.Stop(context.Background(), o, testsvc.SearchName)
	})
	restart = func() {
		args, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil {
			t.Fatalf("restart: %v", err)
		}
		argv := bytes.Split(bytes.TrimRight(args, "\x00"), []byte{0})
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			t.Fatalf("restart: %v", err)
		}
		for deadline := time.Now().Add(time.Minute); ; {
			if err := syscall.Kill(pid, 0); err != nil || time.Now().After(deadline) {
				break
			}
			if data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err != nil || bytes.Contains(data, []byte(") Z ")) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		logf, err := os.OpenFile(st.Log, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatalf("restart: %v", err)
		}
		defer logf.Close()
		cmd := exec.Command(string(argv[0]))
		for _, a := range argv[1:] {
			cmd.Args = append(cmd.Args, string(a))
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			t.Fatalf("restart: %v", err)
		}
		relaunched = cmd
		t.Logf("search node restarted: pid %d → %d", pid, cmd.Process.Pid)
	}
	return st.URL, restart
}

// TestSearchEngineRestart streams 100,000 records while the search node's
// process is stopped and started again on its data directory; the index
// ends with exactly the last version of every key.
func TestSearchEngineRestart(t *testing.T) {
	url, restart := privateSearch(t)
	tp := "shipped_orders"
	task, _ := startTask(t, map[string]string{
		"connection.url": url, "topics": tp,
		"behavior.on.null.values": "delete", "batch.size": "1000",
	})
	const n, keys = 100_000, 40_000
	want := map[string]string{}
	ctx := context.Background()
	var batch []*connect.Record
	for i := range n {
		k := i % keys
		key := strconv.Itoa(k)
		r := syntheticShipped(k).record(tp, int64(i))
		if k%10 == 3 && i >= keys {
			r.Value, r.ValueSchema = nil, nil
			delete(want, key)
		} else {
			want[key] = strconv.Itoa(i)
			r.Value.(*connect.Struct).Values[0] = strconv.Itoa(i)
		}
		batch = append(batch, r)
		if len(batch) == 1000 {
			if err := task.Put(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
		if i == 45_000 {
			restart()
		}
		if i%20_000 == 19_999 {
			if err := task.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := task.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	checkShipments(t, url, tp, keys, want)
}
