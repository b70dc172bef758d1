package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicedb/sluice/internal/testsvc"
)

// The peer's versions: the newest Debezium 3.x and the Kafka Connect of
// the test services' broker.
const (
	DebeziumVersion     = "3.3.0.Final"
	ConnectKafkaVersion = "4.1.1"
)

// DebeziumJars resolves Kafka Connect and Debezium's PostgreSQL connector
// from Maven Central (services/debezium/pom.xml) into the test services'
// cache and returns the directory of jars. root is the repository root.
func DebeziumJars(ctx context.Context, root string) (string, error) {
	return testsvc.MavenJars(ctx, testsvc.Options{}, filepath.Join(root, "services", "debezium", "pom.xml"),
		"debezium-"+DebeziumVersion+"-connect-"+ConnectKafkaVersion,
		map[string]string{"debezium.version": DebeziumVersion, "kafka.version": ConnectKafkaVersion})
}

// connectWorker is a Kafka Connect standalone worker running one
// connector, with its REST API on a private port.
type connectWorker struct {
	cmd  *exec.Cmd
	rest string
	name string
	log  string
	done chan struct{}
}

// startConnectWorker starts a standalone worker in dir with jars from lib
// on its class path (no plugin.path: the connector is found there), JSON
// converters without schemas, file offsets, and the connector cfg.
func startConnectWorker(ctx context.Context, lib, dir, bootstrap, name string, cfg map[string]string) (*connectWorker, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	worker := map[string]string{
		"bootstrap.servers":              bootstrap,
		"key.converter":                  "org.apache.kafka.connect.json.JsonConverter",
		"value.converter":                "org.apache.kafka.connect.json.JsonConverter",
		"key.converter.schemas.enable":   "false",
		"value.converter.schemas.enable": "false",
		"offset.storage.file.filename":   filepath.Join(dir, "offsets"),
		"offset.flush.interval.ms":       "1000",
		"listeners":                      "http://127.0.0.1:" + strconv.Itoa(port),
		// Everything is on the class path; scanning it once is enough.
		"plugin.discovery": "only_scan",
	}
	conn := map[string]string{"name": name}
	for k, v := range cfg {
		conn[k] = v
	}
	files := map[string]string{
		"worker.properties":    properties(worker),
		"connector.properties": properties(conn),
		"log4j2.properties": `rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
`,
	}
	for f, text := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	logPath := filepath.Join(dir, "worker.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command("java", "-Xms512m", "-Xmx1g", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
		"-Djava.awt.headless=true",
		"-Dlog4j2.configurationFile="+filepath.Join(dir, "log4j2.properties"),
		"-cp", filepath.Join(lib, "*"),
		"org.apache.kafka.connect.cli.ConnectStandalone",
		filepath.Join(dir, "worker.properties"), filepath.Join(dir, "connector.properties"))
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start Kafka Connect: %w", err)
	}
	w := &connectWorker{cmd: cmd, rest: "http://127.0.0.1:" + strconv.Itoa(port), name: name, log: logPath, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(w.done)
	}()
	return w, nil
}

// properties renders a Java properties file, keys sorted.
func properties(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, strings.ReplaceAll(m[k], `\`, `\\`))
	}
	return b.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("bench: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// fail wraps err with the tail of the worker's log.
func (w *connectWorker) fail(err error) error {
	data, _ := os.ReadFile(w.log)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var errs []string
	for _, l := range lines {
		if strings.Contains(l, "ERROR") || strings.Contains(l, "Exception") {
			errs = append(errs, l)
		}
	}
	if len(errs) > 10 {
		errs = errs[len(errs)-10:]
	}
	return fmt.Errorf("%w\n--- %s (errors) ---\n%s", err, w.log, strings.Join(errs, "\n"))
}

// stop ends the worker: a clean shutdown first, then SIGKILL.
func (w *connectWorker) stop() {
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		w.cmd.Process.Kill()
		<-w.done
	}
}

// cpu is the worker JVM's CPU time so far.
func (w *connectWorker) cpu() (time.Duration, error) { return procCPU(w.cmd.Process.Pid) }

// state asks the REST API for the state of the connector's task.
func (w *connectWorker) state(ctx context.Context) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.rest+"/connectors/"+w.name+"/status", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var st struct {
		Tasks []struct {
			State string `json:"state"`
			Trace string `json:"trace"`
		} `json:"tasks"`
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return "", err
	}
	if len(st.Tasks) == 0 {
		return "UNASSIGNED", nil
	}
	if st.Tasks[0].State == "FAILED" {
		return "", fmt.Errorf("task failed: %s", st.Tasks[0].Trace)
	}
	return st.Tasks[0].State, nil
}

// waitState waits for the task to reach want.
func (w *connectWorker) waitState(ctx context.Context, want string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var got string
	var err error
	for {
		select {
		case <-w.done:
			return w.fail(fmt.Errorf("bench: Kafka Connect exited"))
		default:
		}
		got, err = w.state(ctx)
		if err == nil && got == want {
			return nil
		}
		if time.Now().After(deadline) {
			return w.fail(fmt.Errorf("bench: connector %s is %q, not %s, after %v (last error: %v)", w.name, got, want, timeout, err))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// put sends a REST command (pause, resume) for the connector.
func (w *connectWorker) put(ctx context.Context, verb string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, w.rest+"/connectors/"+w.name+"/"+verb, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("bench: %s: %w", verb, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("bench: %s: status %d: %s", verb, resp.StatusCode, body)
	}
	return nil
}

// RunDebeziumCapture measures Debezium's PostgresConnector on a Kafka
// Connect standalone worker writing to the Kafka broker at bootstrap,
// with JSON values without schemas (Confluent's Avro converter is not on
// Maven Central). lib is DebeziumJars' directory; suffix makes the
// topics unique on a broker others use. setupPGBench must have run.
func RunDebeziumCapture(ctx context.Context, o PGOptions, lib, bootstrap, suffix string) (res CaptureResult, err error) {
	res.System = "debezium"
	prefix, slot := "dbz_pgbench_"+suffix, "dbz_pgbench"
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		return res, fmt.Errorf("bench: kafka client: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	// The topics are made beforehand with broker append times, which are
	// when each record entered the log.
	ts := topics(prefix)
	cr, err := adm.CreateTopics(ctx, 1, 1, map[string]*string{"message.timestamp.type": ptr("LogAppendTime")}, ts...)
	if err == nil {
		err = cr.Error()
	}
	if err != nil {
		return res, fmt.Errorf("bench: create topics: %w", err)
	}
	defer adm.DeleteTopics(context.Background(), ts...)
	count := func(ctx context.Context) (int64, error) {
		ends, err := adm.ListEndOffsets(ctx, ts...)
		if err != nil {
			return 0, err
		}
		var n int64
		ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
		return n, ends.Error()
	}

	w, err := startConnectWorker(ctx, lib, filepath.Join(o.Dir, "connect"), bootstrap, "pgbench", o.connectorConfig(prefix, slot))
	if err != nil {
		return res, err
	}
	defer func() {
		w.stop()
		if derr := dropSlot(context.Background(), o, slot); derr != nil && err == nil {
			err = derr
		}
	}()
	if err := w.waitState(ctx, "RUNNING", 3*time.Minute); err != nil {
		return res, err
	}
	if err := waitSlotActive(ctx, o, slot, 2*time.Minute); err != nil {
		return res, w.fail(err)
	}

	pw, err := newPGWriter(ctx, o)
	if err != nil {
		return res, err
	}
	defer pw.close()
	if err := warmUp(ctx, "debezium", o, pw, count); err != nil {
		return res, w.fail(err)
	}

	// Throughput: a backlog committed while the task is paused.
	if err := w.put(ctx, "pause"); err != nil {
		return res, err
	}
	if err := w.waitState(ctx, "PAUSED", time.Minute); err != nil {
		return res, err
	}
	base, err := count(ctx)
	if err != nil {
		return res, err
	}
	if res.Changes, err = pw.backlog(ctx, o.Changes); err != nil {
		return res, err
	}
	cpu0, err := w.cpu()
	if err != nil {
		return res, err
	}
	ws, err := startWalsenderCPU(ctx, o, slot)
	if err != nil {
		return res, err
	}
	start := time.Now()
	if err := w.put(ctx, "resume"); err != nil {
		return res, err
	}
	if err := waitFor(ctx, "debezium", base+int64(res.Changes), 10*time.Minute, count); err != nil {
		return res, w.fail(err)
	}
	res.Seconds = time.Since(start).Seconds()
	cpu1, err := w.cpu()
	if err != nil {
		return res, err
	}
	res.CPUSec = (cpu1 - cpu0).Seconds()
	res.WalsenderCPUSec = ws()
	res.PerSec = float64(res.Changes) / res.Seconds
	res.PerCore = float64(res.Changes) / res.CPUSec

	// Latency: a consumer follows both topics from their ends.
	ends, err := adm.ListEndOffsets(ctx, ts...)
	if err != nil {
		return res, fmt.Errorf("bench: end offsets: %w", err)
	}
	parts := map[string]map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		parts[o.Topic] = map[int32]kgo.Offset{o.Partition: kgo.NewOffset().At(o.Offset)}
	})
	cons, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumePartitions(parts), kgo.FetchMaxWait(20*time.Millisecond))
	if err != nil {
		return res, fmt.Errorf("bench: kafka consumer: %w", err)
	}
	defer cons.Close()
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	lats := &latencies{}
	done := make(chan error, 1)
	go func() { done <- followKafka(rctx, cons, lats) }()
	res.Latency, err = latencyRuns(ctx, "debezium", o, pw, lats, count)
	stop()
	if rerr := <-done; rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return res, w.fail(err)
	}
	return res, nil
}

func ptr[T any](v T) *T { return &v }

// followKafka consumes Debezium's JSON change events until ctx ends,
// adding each one's latency from commit (source.ts_ms) to its append to
// the log (the record's LogAppendTime timestamp).
func followKafka(ctx context.Context, cl *kgo.Client, lats *latencies) error {
	var ev struct {
		Source struct {
			TsMs int64 `json:"ts_ms"`
		} `json:"source"`
	}
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		var err error
		fs.EachError(func(t string, p int32, e error) {
			if err == nil {
				err = fmt.Errorf("bench: fetch %s/%d: %w", t, p, e)
			}
		})
		if err != nil {
			return err
		}
		var batch []time.Duration
		fs.EachRecord(func(r *kgo.Record) {
			if err != nil || r.Value == nil {
				return
			}
			ev.Source.TsMs = 0
			if jerr := json.Unmarshal(r.Value, &ev); jerr != nil || ev.Source.TsMs == 0 {
				err = fmt.Errorf("bench: %s offset %d: no source.ts_ms (%v): %.200s", r.Topic, r.Offset, jerr, r.Value)
				return
			}
			batch = append(batch, r.Timestamp.Sub(time.UnixMilli(ev.Source.TsMs)))
		})
		if err != nil {
			return err
		}
		lats.add(batch...)
	}
}
