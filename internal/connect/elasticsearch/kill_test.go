package elasticsearch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/elasticsearch"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/testsvc"
)

const killChildEnv = "SLUICE_ES_KILL_CHILD"

// TestMain lets the SIGKILL test re-execute this binary as a process
// running the sink, which it can kill.
func TestMain(m *testing.M) {
	if spec := os.Getenv(killChildEnv); spec != "" {
		if err := killChild(spec); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type killSpec struct {
	Dir, URL, Topic string
}

// killChild runs the sink over the log in spec.Dir until killed.
func killChild(raw string) error {
	var spec killSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		return err
	}
	l, err := embedded.Open(spec.Dir, embedded.Options{})
	if err != nil {
		return err
	}
	plugins := connect.NewPlugins()
	elasticsearch.Register(plugins)
	rt := connect.NewRuntime(connect.Options{
		Log: l, Plugins: plugins,
		KeyConverter: connect.StringConverterClass, ValueConverter: connect.JSONConverterClass,
		ConverterConfig: map[string]string{"value.converter.schemas.enable": "false"},
	})
	err = rt.Create(context.Background(), "writer", true, map[string]string{
		"connector.class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
		"connection.url":  spec.URL,
		"topics":          spec.Topic,
		"batch.size":      "2000",
	})
	if err != nil {
		return err
	}
	select {}
}

// TestSinkSurvivesSIGKILL kills the process running the sink with SIGKILL
// again and again while it indexes 100,000 records, restarting it each
// time from the committed offsets: the index ends with every record
// exactly once (delivery is at-least-once, idempotent by _id).
func TestSinkSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: kills child processes indexing 100,000 records")
	}
	const total = 100_000
	url := testsvc.Search(t)
	tp := topic(t, url)
	dir := t.TempDir()
	ctx := context.Background()
	l, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.CreateTopic(ctx, tp, logstore.TopicConfig{Partitions: 2, Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	for b := 0; b < total; b += 10_000 {
		txn, err := l.Begin(ctx, "producer")
		if err != nil {
			t.Fatal(err)
		}
		for i := b; i < b+10_000; i++ {
			key := []byte("k" + strconv.Itoa(i))
			val := []byte(fmt.Sprintf(`{"SEQ":%d,"ORIGIN":"o%d"}`, i, i%7))
			if err := txn.Produce(ctx, tp, logstore.Record{Key: key, Value: val, Partition: logstore.Partition(key, 2)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := txn.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	spec, _ := json.Marshal(killSpec{Dir: dir, URL: url, Topic: tp})
	idx := elasticsearch.IndexName(tp)
	partial := 0
	count := 0
	for round := 0; round < 60 && count < total; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+string(spec))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(1500+300*(round%3)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		count = indexCount(t, url, idx)
		t.Logf("after kill %d: %d documents", round+1, count)
		if count > 0 && count < total {
			partial++
		}
	}
	if count != total {
		t.Fatalf("index holds %d documents, want %d", count, total)
	}
	if partial == 0 {
		t.Fatal("no kill landed mid-stream; the test proved nothing")
	}
	for _, id := range []string{"k0", "k54321", "k99999"} {
		resp, err := http.Get(url + "/" + idx + "/_doc/" + id)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("document %s: %s", id, resp.Status)
		}
	}
}

func indexCount(t *testing.T, url, index string) int {
	t.Helper()
	if resp, err := http.Post(url+"/"+index+"/_refresh", "application/json", nil); err == nil {
		resp.Body.Close()
	}
	resp, err := http.Get(url + "/" + index + "/_count")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		Count int `json:"count"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&c)
	return c.Count
}
