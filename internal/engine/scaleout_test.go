package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// scaleOutRecords is the size of the scale-out test's main input. The
// issue asks for 1,000,000; `make test` runs fewer on a small machine.
var scaleOutRecords = flag.Int("scaleout.records", 100_000, "records in the scale-out test's main input")

// scaleOutScript is a CTAS aggregation behind a repartition, and a
// stream-stream join, over the same input. %[1]s names the run's output
// topics, %[2]s its input topics.
const scaleOutScript = `
CREATE STREAM sin (k STRING KEY, g BIGINT, v BIGINT) WITH (kafka_topic='sin_%[2]s', value_format='JSON');
CREATE STREAM other (k STRING KEY, w BIGINT) WITH (kafka_topic='other_%[2]s', value_format='JSON');
CREATE TABLE agg WITH (kafka_topic='agg_%[1]s') AS SELECT g, COUNT(*) AS n, SUM(v) AS total FROM sin GROUP BY g;
CREATE STREAM j WITH (kafka_topic='j_%[1]s') AS SELECT s.k AS k, s.v AS v, o.w AS w FROM sin s
  JOIN other o WITHIN 1 HOURS ON s.k = o.k;
`

// TestScaleOutOnKafka runs two `sluice server` processes with one service
// id on the real broker, SIGKILLs one of them while a CTAS aggregation
// and a stream-stream join are mid-way through their input, and checks
// that the survivor's output equals an uninterrupted single server's:
// the same records, none lost, none twice.
func TestScaleOutOnKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in short mode: builds sluice and runs three servers on Kafka")
	}
	bootstrap := testsvc.Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	bin := buildSluice(ctx, t)
	lg, err := kafka.Open(ctx, kafka.Options{BootstrapServers: []string{bootstrap}})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()

	n := *scaleOutRecords
	suffix := fmt.Sprintf("%x", time.Now().UnixNano())
	produceScaleOutInput(ctx, t, lg, suffix, n)
	// The join matches every other record of sin; the aggregation emits
	// one update per record.
	want := map[string]int{"agg": n, "j": n / 2}

	// The reference: one server, never interrupted.
	start := time.Now()
	single := startServer(ctx, t, bin, bootstrap, "single"+suffix+"_")
	execute(ctx, t, single.url, fmt.Sprintf(scaleOutScript, "single"+suffix, suffix))
	ref := awaitOutputs(ctx, t, lg, "single"+suffix, want, single)
	elapsed := time.Since(start)
	single.stop(t)
	t.Logf("single server: %d records in %v (%.0f records/s)", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())

	// Two servers share the work; one is killed a third of the way in.
	svc := "scale" + suffix + "_"
	start = time.Now()
	a := startServer(ctx, t, bin, bootstrap, svc)
	b := startServer(ctx, t, bin, bootstrap, svc)
	execute(ctx, t, a.url, fmt.Sprintf(scaleOutScript, "scale"+suffix, suffix))
	for {
		if c := countTopic(ctx, t, lg, "agg_scale"+suffix); c >= n/3 {
			t.Logf("SIGKILL server b at %d of %d aggregation updates", c, n)
			break
		}
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.kill(t)
	got := awaitOutputs(ctx, t, lg, "scale"+suffix, want, a, b)
	t.Logf("two servers, one killed: %d records in %v", n, time.Since(start).Round(time.Millisecond))
	a.stop(t)

	for name, recs := range ref {
		if !slices.Equal(recs, got[name]) {
			t.Errorf("%s: the scaled-out run wrote %d records, the single server %d; first differences:\n%s",
				name, len(got[name]), len(recs), firstDiff(recs, got[name]))
		}
	}
	if !strings.Contains(b.output.String(), "tasks assigned") {
		t.Errorf("server b never ran a task; its log:\n%s", b.output.String())
	}
}

// buildSluice builds the sluice binary for tests that run it as a
// server process.
func buildSluice(ctx context.Context, t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sluice")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "../../cmd/sluice")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build sluice: %v\n%s", err, out)
	}
	return bin
}

// produceScaleOutInput writes sin (n records, 4 partitions) and other
// (every even record's key, 4 partitions).
func produceScaleOutInput(ctx context.Context, t *testing.T, lg logstore.Log, suffix string, n int) {
	t.Helper()
	for _, topic := range []string{"sin_" + suffix, "other_" + suffix} {
		if err := lg.CreateTopic(ctx, topic, logstore.TopicConfig{Partitions: 4, Replicas: 1}); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now().Add(-time.Hour).UnixMilli()
	const batch = 20_000
	for lo := 0; lo < n; lo += batch {
		txn, err := lg.Begin(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for i := lo; i < min(lo+batch, n); i++ {
			key := []byte(fmt.Sprintf("k%07d", i))
			p := logstore.Partition(key, 4)
			ts := base + int64(i/10)
			v := fmt.Appendf(nil, `{"G":%d,"V":%d}`, i%997, i)
			if err := txn.Produce(ctx, "sin_"+suffix, logstore.Record{Key: key, Value: v, Partition: p, Timestamp: ts}); err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				w := fmt.Appendf(nil, `{"W":%d}`, -i)
				if err := txn.Produce(ctx, "other_"+suffix, logstore.Record{Key: key, Value: w, Partition: p, Timestamp: ts + 5}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := txn.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// server is a `sluice server` child process.
type server struct {
	cmd    *exec.Cmd
	url    string
	output *lockedWriter // stderr, for failures
	done   chan struct{}
}

func startServer(ctx context.Context, t *testing.T, bin, bootstrap, svc string) *server {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, "server", "--log", "kafka", "--service-id", svc,
		"--listeners", "http://127.0.0.1:0", "--data-dir", t.TempDir(),
		"--prop", "ksql.streams.bootstrap.servers="+bootstrap,
		"--prop", "ksql.streams.session.timeout.ms=6000")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, output: &lockedWriter{}, done: make(chan struct{})}
	cmd.Stderr = s.output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if _, addr, ok := strings.Cut(lines.Text(), " listening on "); ok {
			s.url = strings.TrimSpace(addr)
			break
		}
	}
	go func() {
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(s.done)
	}()
	if s.url == "" {
		<-s.done
		t.Fatalf("server %s did not start:\n%s", svc, s.output)
	}
	t.Cleanup(func() { s.kill(t) })
	return s
}

// stop ends the server as an operator would (SIGTERM) and waits.
func (s *server) stop(t *testing.T) {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Errorf("server at %s ignored SIGTERM for 30s", s.url)
		s.kill(t)
	}
}

// kill SIGKILLs the server and waits for it to be gone.
func (s *server) kill(t *testing.T) {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// execute posts statements to a server's /ksql endpoint.
func execute(ctx context.Context, t *testing.T, url, stmts string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"ksql":              stmts,
		"streamsProperties": map[string]string{"ksql.streams.auto.offset.reset": "earliest"},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/ksql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/vnd.ksql.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /ksql: %s: %s", resp.Status, out)
	}
}

// countTopic counts a topic's committed records.
func countTopic(ctx context.Context, t *testing.T, lg logstore.Log, topic string) int {
	t.Helper()
	info, err := lg.DescribeTopic(ctx, topic)
	if err != nil {
		return 0
	}
	n := 0
	for p := int32(0); p < info.Partitions; p++ {
		recs := readPartition(ctx, t, lg, logstore.TopicPartition{Topic: topic, Partition: p})
		n += len(recs)
	}
	return n
}

func readPartition(ctx context.Context, t *testing.T, lg logstore.Log, tp logstore.TopicPartition) []logstore.Record {
	t.Helper()
	offs, err := lg.ListOffsets(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	var out []logstore.Record
	for next := offs.Start; next < offs.End; {
		recs, err := lg.Fetch(ctx, tp, next, logstore.FetchOptions{MaxRecords: 50_000, MaxBytes: 16 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		out = append(out, recs...)
		next = recs[len(recs)-1].Offset + 1
	}
	return out
}

// awaitOutputs waits until each output of run holds want records and
// has stayed so for a while (a duplicate would come on top), then returns
// each output's records as sorted "key value" lines.
func awaitOutputs(ctx context.Context, t *testing.T, lg logstore.Log, run string, want map[string]int, servers ...*server) map[string][]string {
	t.Helper()
	var counts map[string]int
	stableSince := time.Time{}
	last := ""
	for {
		counts = map[string]int{}
		for name := range want {
			counts[name] = countTopic(ctx, t, lg, name+"_"+run)
		}
		now := fmt.Sprint(counts)
		done := true
		for name, w := range want {
			done = done && counts[name] >= w
		}
		if now != last {
			last, stableSince = now, time.Now()
		}
		if done && time.Since(stableSince) > 5*time.Second {
			break
		}
		if !done && time.Since(stableSince) > time.Minute {
			for _, s := range servers {
				t.Logf("server %s log:\n%s", s.url, s.output)
			}
			t.Fatalf("run %s stalled at %v, want %v", run, counts, want)
		}
		if ctx.Err() != nil {
			t.Fatalf("run %s: %v at %v, want %v", run, ctx.Err(), counts, want)
		}
		time.Sleep(time.Second)
	}
	for name, w := range want {
		if counts[name] != w {
			t.Errorf("run %s: %s holds %d records, want %d", run, name, counts[name], w)
		}
	}
	out := map[string][]string{}
	for name := range want {
		topic := name + "_" + run
		info, err := lg.DescribeTopic(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		var recs []logstore.Record
		for p := int32(0); p < info.Partitions; p++ {
			recs = append(recs, readPartition(ctx, t, lg, logstore.TopicPartition{Topic: topic, Partition: p})...)
		}
		out[name] = normalize(t, name, recs)
	}
	return out
}

// normalize turns an output into sorted lines that two correct runs
// share. The join's records are the same in any run. The aggregation's
// intermediate totals are not: its repartition topic interleaves the
// source partitions as their tasks happen to commit. So each of its
// updates counts only by its key and count (every count from 1 to the
// group's size exactly once: none lost, none twice), and each group's
// last update also by its total.
func normalize(t *testing.T, name string, recs []logstore.Record) []string {
	t.Helper()
	var lines []string
	if name != "agg" {
		for _, r := range recs {
			lines = append(lines, fmt.Sprintf("%x %s", r.Key, r.Value))
		}
		slices.Sort(lines)
		return lines
	}
	type update struct{ N, TOTAL int64 }
	last := map[string]update{}
	for _, r := range recs {
		var u update
		if err := json.Unmarshal(r.Value, &u); err != nil {
			t.Fatalf("agg record %x: %v", r.Key, err)
		}
		k := fmt.Sprintf("%x", r.Key)
		lines = append(lines, fmt.Sprintf("%s N=%d", k, u.N))
		if u.N > last[k].N {
			last[k] = u
		}
	}
	for k, u := range last {
		lines = append(lines, fmt.Sprintf("%s final N=%d TOTAL=%d", k, u.N, u.TOTAL))
	}
	slices.Sort(lines)
	return lines
}

// firstDiff describes where two sorted record lists first differ.
func firstDiff(want, got []string) string {
	var b strings.Builder
	i, j, shown := 0, 0, 0
	for (i < len(want) || j < len(got)) && shown < 10 {
		switch {
		case j >= len(got) || (i < len(want) && want[i] < got[j]):
			fmt.Fprintf(&b, "  missing %s\n", want[i])
			i++
			shown++
		case i >= len(want) || got[j] < want[i]:
			fmt.Fprintf(&b, "  extra   %s\n", got[j])
			j++
			shown++
		default:
			i++
			j++
		}
	}
	return b.String()
}

// lockedWriter collects a child's stderr while the test reads it.
type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
