package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/net/http2"
)

func TestPullQueries(t *testing.T) {
	h := newHarness(t, nil)
	h.ksql("CREATE STREAM s (id INT KEY, name STRING, ts TIMESTAMP) WITH (kafka_topic='s', value_format='json', partitions=1);" +
		"INSERT INTO s (id, name, ts) VALUES (1, 'a', '2020-01-02T03:04:05.006'); INSERT INTO s (id, name, ts) VALUES (2, 'b', NULL);")

	rows := h.waitRows("SELECT * FROM s;", 2)
	want := `[[1,"a","2020-01-02T03:04:05.006"],[2,"b",null]]`
	if got, _ := json.Marshal(rows); string(got) != want {
		t.Errorf("/query rows %s, want %s", got, want)
	}
	// The header and the final message frame the rows.
	_, out := h.post("/query", map[string]any{"ksql": "SELECT name FROM s WHERE id = 2;"})
	arr := out.([]any)
	if field(arr[0], "header", "schema") != "`NAME` STRING" || field(arr[len(arr)-1], "finalMessage") != "Query Completed" {
		t.Errorf("/query framing %v", arr)
	}

	for _, tc := range []struct {
		accept string
		want   string
	}{
		{"application/vnd.ksqlapi.delimited.v1", "{\"columnNames\":[\"ID\",\"NAME\"],\"columnTypes\":[\"INTEGER\",\"STRING\"],\"queryId\":\"Q\"}\n[1,\"a\"]\n[2,\"b\"]\n"},
		{"application/json", "[{\"columnNames\":[\"ID\",\"NAME\"],\"columnTypes\":[\"INTEGER\",\"STRING\"],\"queryId\":\"Q\"},\n[1,\"a\"],\n[2,\"b\"]]\n"},
	} {
		req, _ := http.NewRequest("POST", h.http.URL+"/query-stream", strings.NewReader(`{"sql":"SELECT id, name FROM s;"}`))
		req.Header.Set("Accept", tc.accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got := queryIDRE(string(body))
		if got != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.accept, got, tc.want)
		}
		if ct := resp.Header.Get("Content-Type"); ct != tc.accept {
			t.Errorf("Content-Type %q", ct)
		}
	}

	// Errors from the engine come back as ksqlDB's.
	code, out := h.post("/query", map[string]any{"ksql": "SELECT * FROM nope;"})
	if code != 400 || field(out, "error_code") != float64(40001) || field(out, "@type") != "statement_error" {
		t.Errorf("/query unknown source: %d %v", code, out)
	}
	code, out = h.post("/query-stream", map[string]any{"sql": "SHOW STREAMS;"})
	if code != 400 || field(out, "error_code") != float64(40001) {
		t.Errorf("/query-stream non-query: %d %v", code, out)
	}
}

// queryIDRE replaces the generated query id so outputs compare.
func queryIDRE(s string) string {
	i := strings.Index(s, `"queryId":"`)
	if i < 0 {
		return s
	}
	j := strings.Index(s[i+11:], `"`)
	return s[:i+11] + "Q" + s[i+11+j:]
}

// TestPushQueryHTTP2 runs a push query over cleartext HTTP/2 with prior
// knowledge, as ksqlDB's Java and Python clients do, feeds it through
// /inserts-stream and stops it with /close-query.
func TestPushQueryHTTP2(t *testing.T) {
	h := newHarness(t, nil)
	h.ksql("CREATE STREAM s (id INT KEY, name STRING) WITH (kafka_topic='s', value_format='json', partitions=1);")
	h2 := &http.Client{Transport: &http2.Transport{AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", h.http.URL+"/query-stream",
		strings.NewReader(`{"sql":"SELECT * FROM s EMIT CHANGES;","properties":{"auto.offset.reset":"earliest"}}`))
	resp, err := h2.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("proto %s", resp.Proto)
	}
	rd := bufio.NewReader(resp.Body)
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		QueryID string `json:"queryId"`
	}
	if err := json.Unmarshal([]byte(line), &meta); err != nil || meta.QueryID == "" {
		t.Fatalf("metadata %q: %v", line, err)
	}

	// Rows go in through /inserts-stream, each acknowledged.
	ins, _ := http.NewRequestWithContext(ctx, "POST", h.http.URL+"/inserts-stream",
		strings.NewReader("{\"target\":\"s\"}\n{\"ID\":1,\"NAME\":\"a\"}\n{\"id\":2,\"name\":\"b\"}\n"))
	iresp, err := h2.Do(ins)
	if err != nil {
		t.Fatal(err)
	}
	acks, _ := io.ReadAll(iresp.Body)
	iresp.Body.Close()
	if string(acks) != "{\"status\":\"ok\",\"seq\":0}\n{\"status\":\"ok\",\"seq\":1}\n" {
		t.Fatalf("acks %q", acks)
	}
	for _, want := range []string{`[1,"a"]`, `[2,"b"]`} {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(line) != want {
			t.Fatalf("row %q, want %s", line, want)
		}
	}
	code, _ := h.post("/close-query", map[string]any{"queryId": meta.QueryID})
	if code != 200 {
		t.Fatalf("close-query %d", code)
	}
	if _, err := io.ReadAll(rd); err != nil {
		t.Fatalf("stream after close: %v", err)
	}
	code, out := h.post("/close-query", map[string]any{"queryId": meta.QueryID})
	if code != 400 || field(out, "error_code") != float64(40000) {
		t.Fatalf("close unknown query: %d %v", code, out)
	}

	// A bad row is answered with an error and its sequence number.
	ins, _ = http.NewRequestWithContext(ctx, "POST", h.http.URL+"/inserts-stream",
		strings.NewReader("{\"target\":\"S\"}\n{\"id\":3}\n{\"nope\":1}\n"))
	iresp, err = h2.Do(ins)
	if err != nil {
		t.Fatal(err)
	}
	acks, _ = io.ReadAll(iresp.Body)
	iresp.Body.Close()
	if !strings.Contains(string(acks), `"status":"error","seq":1,"error_code":40000`) {
		t.Fatalf("bad row acks %q", acks)
	}
	code, out = h.post("/inserts-stream", "{\"target\":\"missing\"}\n")
	if code != 400 || !strings.Contains(fmt.Sprint(field(out, "message")), "missing") {
		t.Fatalf("unknown target: %d %v", code, out)
	}
}

func TestWebsocketQuery(t *testing.T) {
	h := newHarness(t, nil)
	h.ksql("CREATE STREAM s (id INT KEY, name STRING) WITH (kafka_topic='s', value_format='json', partitions=1);" +
		"INSERT INTO s (id, name) VALUES (7, 'x');")
	h.waitRows("SELECT * FROM s;", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(h.http.URL, "http") + "/ws/query?request=" +
		url.QueryEscape(`{"ksql":"SELECT * FROM s;","streamsProperties":{}}`)
	conn, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	var msgs []string
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				t.Fatalf("read: %v", err)
			}
			break
		}
		msgs = append(msgs, string(data))
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0], `"name":"ID"`) || msgs[1] != `{"row":{"columns":[7,"x"]}}` {
		t.Fatalf("messages %q", msgs)
	}
}

func TestInfoHealthMetrics(t *testing.T) {
	h := newHarness(t, nil)
	h.ksql("CREATE STREAM s (id INT KEY, v INT) WITH (kafka_topic='s', value_format='json', partitions=1); CREATE STREAM t AS SELECT * FROM s;")
	for path, want := range map[string]string{
		"/info":        `"ksqlServiceId":"default_"`,
		"/healthcheck": `"isHealthy":true`,
		"/status":      `"stream/T/create":"SUCCESS"`,
		"/metrics":     `sluice_query_info{kind="PERSISTENT",query_id="CSAS_T_0",sink="T",state="RUNNING"} 1`,
	} {
		resp, err := http.Get(h.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d, want %s in\n%.2000s", path, resp.StatusCode, want, body)
		}
	}
	resp, err := http.Get(h.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `sluice_http_requests_total{code="200",endpoint="/ksql"} 1`) {
		t.Errorf("request counter missing")
	}
	// The embedded schema registry is mounted beside the API.
	resp, err = http.Get(h.http.URL + "/schema-registry/subjects")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/schema-registry/subjects: %d", resp.StatusCode)
	}
}
