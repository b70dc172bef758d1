package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// browser is a headless Chromium driven over the DevTools protocol, just
// enough of it to evaluate script in a page and take a screenshot.
type browser struct {
	cmd  *exec.Cmd
	conn *websocket.Conn

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan cdpReply
	// problems collects uncaught exceptions and console errors: a module
	// that fails to load (wrong MIME type, CSP) shows up only here.
	problems []string

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startBrowser opens pageURL in a fresh headless Chromium and attaches to
// its page. The browser is stopped when the test ends.
func startBrowser(t *testing.T, pageURL string) *browser {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		t.Fatal("chromium is not installed (apt-get install -y chromium); run with -short to leave out the browser test")
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--no-first-run", "--user-data-dir="+dir, "--remote-debugging-port=0", "--window-size=1400,1000", pageURL)
	// Its own process group, so that closing it also ends the renderer
	// and GPU helpers it forks.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	b := &browser{cmd: cmd, waiting: map[int]chan cdpReply{}}
	t.Cleanup(b.close)

	// Chromium writes the port it chose to DevToolsActivePort.
	var port string
	deadline := time.Now().Add(20 * time.Second)
	for port == "" {
		if time.Now().After(deadline) {
			t.Fatal("chromium did not open its DevTools port")
		}
		if data, err := os.ReadFile(filepath.Join(dir, "DevToolsActivePort")); err == nil {
			port = strings.SplitN(string(data), "\n", 2)[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	wsURL, err := pageTarget(port, deadline)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	conn, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		t.Fatalf("attach to page: %v", err)
	}
	conn.SetReadLimit(64 << 20)
	b.conn = conn
	b.wg.Add(1)
	go b.read(ctx)
	for _, m := range []string{"Runtime.enable", "Log.enable", "Page.enable"} {
		if _, err := b.call(m, nil); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func pageTarget(port string, deadline time.Time) (string, error) {
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://127.0.0.1:" + port + "/json/list")
		if err == nil {
			var targets []struct {
				Type string `json:"type"`
				WS   string `json:"webSocketDebuggerUrl"`
			}
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
			for _, tg := range targets {
				if err == nil && tg.Type == "page" {
					return tg.WS, nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", errors.New("chromium opened no page target")
}

func (b *browser) read(ctx context.Context) {
	defer b.wg.Done()
	for {
		_, data, err := b.conn.Read(ctx)
		if err != nil {
			return
		}
		var msg struct {
			ID     int             `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			cdpReply
		}
		if json.Unmarshal(data, &msg) != nil {
			continue
		}
		b.mu.Lock()
		switch {
		case msg.ID != 0:
			if ch, ok := b.waiting[msg.ID]; ok {
				ch <- msg.cdpReply
				delete(b.waiting, msg.ID)
			}
		case msg.Method == "Runtime.exceptionThrown":
			b.problems = append(b.problems, "exception: "+string(msg.Params))
		case msg.Method == "Log.entryAdded" && strings.Contains(string(msg.Params), `"level":"error"`):
			b.problems = append(b.problems, "log: "+string(msg.Params))
		}
		b.mu.Unlock()
	}
}

func (b *browser) call(method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpReply, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, r.Error.Message)
		}
		return r.Result, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Eval runs a script expression in the page and returns its JSON value.
func (b *browser) Eval(t *testing.T, expr string) json.RawMessage {
	t.Helper()
	raw, err := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.Exception != nil {
		t.Fatalf("eval %s: %s", expr, r.Exception.Text)
	}
	return r.Result.Value
}

// WaitFor polls a boolean expression until it holds.
func (b *browser) WaitFor(t *testing.T, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		// The page may still be loading, so an expression that throws
		// counts as not yet true.
		if string(b.Eval(t, "(() => { try { return !!("+expr+") } catch { return false } })()")) == "true" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The editor's result and status say most about what went wrong.
	page := b.Eval(t, `document.querySelector("#run-status")?.textContent + " | " + document.querySelector("#result")?.textContent`)
	t.Fatalf("timed out waiting for %s (%s); page: %s; problems: %v", what, expr, page, b.Problems())
}

func (b *browser) Problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

func (b *browser) Screenshot(t *testing.T, path string) {
	t.Helper()
	raw, err := b.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true})
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Data []byte `json:"data"` // base64 in JSON, decoded by encoding/json.
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, r.Data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (b *browser) close() {
	if b.cancel != nil {
		b.cancel()
	}
	if b.conn != nil {
		b.conn.Close(websocket.StatusNormalClosure, "")
	}
	b.wg.Wait()
	if b.cmd.Process != nil {
		syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
	}
	b.cmd.Wait()
}
