package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/server"
)

func TestBasicAuth(t *testing.T) {
	users, err := server.ParseUsers(strings.NewReader("# users\nfred: letmein,admin\nbarney: PLAIN:rubble\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(o *server.Options) {
		o.Auth = &server.BasicAuth{Users: users, SkipPaths: []string{"/healthcheck"}}
	})
	tests := []struct {
		name, path, user, pw string
		status               int
	}{
		{"no credentials", "/info", "", "", 401},
		{"wrong password", "/info", "fred", "nope", 401},
		{"unknown user", "/info", "wilma", "letmein", 401},
		{"good", "/info", "fred", "letmein", 200},
		{"plain prefix", "/info", "barney", "rubble", 200},
		{"skipped path", "/healthcheck", "", "", 200},
		{"ksql needs auth too", "/ksql", "", "", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			var body io.Reader
			if tc.path == "/ksql" {
				method, body = "POST", strings.NewReader(`{"ksql":"SHOW STREAMS;"}`)
			}
			req, _ := http.NewRequest(method, h.http.URL+tc.path, body)
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.pw)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 401 {
				if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic realm=") {
					t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
				}
				if !strings.Contains(string(data), `"error_code":40100`) {
					t.Errorf("body %s", data)
				}
			}
		})
	}
	if _, err := server.ParseUsers(strings.NewReader("fred: MD5:abc\n")); err == nil {
		t.Errorf("hashed password accepted")
	}
}

func TestLimits(t *testing.T) {
	h := newHarness(t, func(o *server.Options) {
		o.MaxBodyBytes = 4096
		o.MaxStatementBytes = 200
	})
	code, out := h.post("/ksql", map[string]any{"ksql": "SHOW STREAMS; -- " + strings.Repeat("x", 5000)})
	if code != http.StatusRequestEntityTooLarge || field(out, "error_code") != float64(41300) {
		t.Errorf("big body: %d %v", code, out)
	}
	long := "CREATE STREAM s (id INT KEY, name STRING) WITH (kafka_topic='s', value_format='json', partitions=1, timestamp_format='" + strings.Repeat("y", 300) + "');"
	code, out = h.post("/ksql", map[string]any{"ksql": "SHOW STREAMS;" + long})
	if code != 400 || field(out, "error_code") != float64(40000) || !strings.Contains(field(out, "message").(string), "at most 200 bytes") {
		t.Errorf("long statement: %d %v", code, out)
	}
	if ents := field(out, "entities").([]any); len(ents) != 1 {
		t.Errorf("entities before the long statement: %v", ents)
	}
	code, out = h.post("/query-stream", map[string]any{"sql": "SELECT * FROM s WHERE name = '" + strings.Repeat("z", 300) + "';"})
	if code != 400 || field(out, "error_code") != float64(40000) {
		t.Errorf("long query: %d %v", code, out)
	}
}

func TestMaskSecrets(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CREATE SOURCE CONNECTOR c WITH ('connection.password'='hunter2', 'database.user'='u');",
			"CREATE SOURCE CONNECTOR c WITH ('connection.password'='[string]', 'database.user'='u');"},
		{`WITH ("aws.secret" = 'a''b', value_format='json')`, `WITH ("aws.secret" = '[string]', value_format='json')`},
		{"WITH (ssl.key='k', key_format='kafka', 'value.converter.basic.auth.user.info'='u:p')",
			"WITH (ssl.key='[string]', key_format='kafka', 'value.converter.basic.auth.user.info'='[string]')"},
		{"SELECT 'password' FROM s;", "SELECT 'password' FROM s;"},
	}
	for _, tc := range tests {
		if got := server.MaskSecrets(tc.in); got != tc.want {
			t.Errorf("MaskSecrets(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// TestSecretsNeverShown sends a statement carrying a password and checks that neither the response nor the log holds it.
func TestSecretsNeverShown(t *testing.T) {
	h := newHarness(t, nil)
	stmt := "CREATE SOURCE CONNECTOR pg WITH ('connector.class'='io.debezium.connector.postgresql.PostgresConnector', 'database.password'='hunter2');"
	// Whether connectors exist yet or not, the echo must be masked.
	_, out := h.post("/ksql", map[string]any{"ksql": stmt})
	raw, _ := jsonString(out)
	if strings.Contains(raw, "hunter2") {
		t.Errorf("password in response: %s", raw)
	}
	if !strings.Contains(raw, "[string]") {
		t.Errorf("statement not echoed masked: %s", raw)
	}
	if strings.Contains(h.logs.String(), "hunter2") {
		t.Errorf("password in log")
	}
}

func TestHeadlessRefusesStatements(t *testing.T) {
	h := newHarness(t, func(o *server.Options) { o.Headless = true })
	code, out := h.post("/ksql", map[string]any{"ksql": "SHOW STREAMS;"})
	if code != http.StatusForbidden || !strings.Contains(field(out, "message").(string), "headless") {
		t.Errorf("headless /ksql: %d %v", code, out)
	}
	resp, err := http.Get(h.http.URL + "/info")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/info in headless mode: %d", resp.StatusCode)
	}
}

// TestNodeTLS starts a whole node on an https listener with a generated
// self-signed certificate and talks to it over TLS, HTTP/2 by ALPN.
func TestNodeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	props := map[string]string{
		server.PropListeners: "https://127.0.0.1:0",
		server.PropStateDir:  filepath.Join(dir, "data"),
		server.PropTLSCert:   certFile,
		server.PropTLSKey:    keyFile,
		server.PropSyncMode:  "never",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	node, err := server.OpenNode(ctx, server.NodeOptions{Props: props})
	if err != nil {
		t.Fatal(err)
	}
	ln, tc, err := node.Listen()
	if err != nil {
		node.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- node.Server.Serve(ctx, ln, tc) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if err := node.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	pool := x509.NewCertPool()
	certPEM, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	resp, err := client.Get("https://" + ln.Addr().String() + "/info")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		t.Errorf("TLS /info: %d over %s", resp.StatusCode, resp.Proto)
	}
	// Plain HTTP to the TLS port fails rather than serving in the clear.
	if resp, err := http.Get("http://" + ln.Addr().String() + "/info"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("served plain HTTP on the TLS listener")
		}
	}
}

func selfSigned(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sluice-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}
