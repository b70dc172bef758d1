package kafka

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicedb/sluice/internal/logstore"
)

// openPeer opens a second Log in l's namespace, as another server of the
// same deployment would.
func openPeer(t *testing.T, l *Log) *Log {
	t.Helper()
	peer, err := Open(ctxFor(t), l.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	return peer
}

// TestFencingAcrossServers runs two writers with one transactional id in
// two Logs (two servers): the later Begin fences the earlier writer, whose
// records and offsets never become visible, while the broker keeps the
// later writer's.
func TestFencingAcrossServers(t *testing.T) {
	a := newLog(t)
	b := openPeer(t, a)
	ctx := ctxFor(t)
	mustCreate(t, a, "out", 2)
	mustCreate(t, a, "src", 1)
	src := logstore.TopicPartition{Topic: "src", Partition: 0}

	zombie, err := a.Begin(ctx, "task-0_1")
	if err != nil {
		t.Fatal(err)
	}
	if err := zombie.Produce(ctx, "out", rec("zombie-1")); err != nil {
		t.Fatal(err)
	}
	if err := zombie.CommitOffsets(ctx, "q", map[logstore.TopicPartition]int64{src: 7}); err != nil {
		t.Fatal(err)
	}
	fresh, err := b.Begin(ctx, "task-0_1")
	if err != nil {
		t.Fatal(err)
	}
	// Begin alone fences: the zombie fails without the fresh writer
	// producing anything first.
	err = zombie.Produce(ctx, "out", rec("zombie-2"))
	if err == nil {
		_, err = zombie.Commit(ctx)
	}
	if !errors.Is(err, logstore.ErrFenced) {
		t.Fatalf("zombie = %v, want ErrFenced", err)
	}
	if err := zombie.Abort(ctx); err != nil {
		t.Errorf("Abort of a fenced transaction: %v", err)
	}
	if err := fresh.Produce(ctx, "out", rec("fresh")); err != nil {
		t.Fatal(err)
	}
	if err := fresh.CommitOffsets(ctx, "q", map[logstore.TopicPartition]int64{src: 9}); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, a, logstore.TopicPartition{Topic: "out", Partition: 0}); fmt.Sprint(got) != "[fresh]" {
		t.Errorf("out/0 holds %v, want [fresh]", got)
	}
	offs, err := a.CommittedOffsets(ctx, "q", []logstore.TopicPartition{src})
	if err != nil || offs[src] != 9 {
		t.Errorf("CommittedOffsets = %v, %v; want src/0 at 9", offs, err)
	}
	// The fenced server takes the id back with a new Begin.
	again, err := a.Begin(ctx, "task-0_1")
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Produce(ctx, "out", rec("back")); err != nil {
		t.Fatal(err)
	}
	if _, err := again.Commit(ctx); err != nil {
		t.Fatalf("Commit after taking the id back: %v", err)
	}
}

// TestAbortInvisibleToKafkaReaders checks an aborted transaction with an
// independent read_committed franz-go consumer, as another Kafka client
// reading Sluice's topics would.
func TestAbortInvisibleToKafkaReaders(t *testing.T) {
	l := newLog(t)
	ctx := ctxFor(t)
	mustCreate(t, l, "sink", 1)
	for i, commit := range []bool{false, true, false} {
		tx, err := l.Begin(ctx, "writer")
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 3; j++ {
			if err := tx.Produce(ctx, "sink", rec(fmt.Sprintf("%d-%d", i, j))); err != nil {
				t.Fatal(err)
			}
		}
		if commit {
			_, err = tx.Commit(ctx)
		} else {
			err = tx.Abort(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	committed := consumeAll(t, l, "sink", kgo.ReadCommitted(), 3)
	if fmt.Sprint(committed) != "[1-0 1-1 1-2]" {
		t.Errorf("read_committed consumer saw %v", committed)
	}
	if got := readAll(t, l, logstore.TopicPartition{Topic: "sink"}); fmt.Sprint(got) != "[1-0 1-1 1-2]" {
		t.Errorf("Fetch saw %v", got)
	}
}

// consumeAll reads a topic with a plain franz-go consumer until want
// records arrived and a further poll brings nothing.
func consumeAll(t *testing.T, l *Log, topic string, iso kgo.IsolationLevel, want int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(l.opts.BootstrapServers...), kgo.ConsumeTopics(l.physical(topic)),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(iso))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
		if len(out) >= want && fs.NumRecords() == 0 || ctx.Err() != nil && len(out) >= want {
			return out
		}
		if ctx.Err() != nil {
			t.Fatalf("consumed %v, want %d records", out, want)
		}
	}
}

// TestLongNameInNamespace covers a name that fits Kafka only without the
// namespace prefix.
func TestLongNameInNamespace(t *testing.T) {
	l := newLog(t)
	ctx := ctxFor(t)
	long := ""
	for len(long) < logstore.MaxTopicNameLen {
		long += "x"
	}
	mustCreate(t, l, long, 1)
	if phys := l.physical(long); len(phys) != logstore.MaxTopicNameLen {
		t.Errorf("physical name has %d characters", len(phys))
	}
	info, err := l.DescribeTopic(ctx, long)
	if err != nil || info.Name != long {
		t.Fatalf("DescribeTopic = %+v, %v", info, err)
	}
	tx, _ := l.Begin(ctx, "")
	if err := tx.Produce(ctx, long, rec("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, l, logstore.TopicPartition{Topic: long}); fmt.Sprint(got) != "[v]" {
		t.Errorf("read %v", got)
	}
}

// TestTopicConfigs checks that typed fields and verbatim configs reach the
// broker and come back.
func TestTopicConfigs(t *testing.T) {
	l := newLog(t)
	ctx := ctxFor(t)
	cfg := logstore.TopicConfig{
		Partitions: 2, Replicas: 1, Compact: true,
		RetentionTime: 90 * time.Minute, RetentionBytes: 1 << 30,
		Configs: map[string]string{"max.message.bytes": "2000000"},
	}
	if err := l.CreateTopic(ctx, "cfg", cfg); err != nil {
		t.Fatal(err)
	}
	info, err := l.DescribeTopic(ctx, "cfg")
	if err != nil {
		t.Fatal(err)
	}
	c := info.Config
	if !c.Compact || c.RetentionTime != cfg.RetentionTime || c.RetentionBytes != cfg.RetentionBytes || info.Replicas != 1 || info.Partitions != 2 {
		t.Errorf("DescribeTopic = %+v", info)
	}
	for k, v := range map[string]string{"cleanup.policy": "compact", "retention.ms": "5400000", "retention.bytes": "1073741824", "max.message.bytes": "2000000"} {
		if c.Configs[k] != v {
			t.Errorf("Configs[%q] = %q, want %q", k, c.Configs[k], v)
		}
	}
	if err := l.CreateTopic(ctx, "bad-cfg", logstore.TopicConfig{Partitions: 1, Configs: map[string]string{"no.such.config": "1"}}); err == nil {
		t.Errorf("CreateTopic with an unknown config succeeded")
	}
}

func TestTransactionVersion(t *testing.T) {
	l := newLog(t)
	// Kafka 4.1 formats new clusters with transaction.version 2; the
	// offset commit path without AddOffsetsToTxn depends on it.
	if !l.tv2 {
		t.Errorf("the test broker does not report transaction.version 2")
	}
}

// TestRecordTooLarge checks that a record over the producer's batch limit
// (franz-go's default, 1 MB, as the broker's message.max.bytes) fails the
// commit with ErrRecordTooLarge, and that a transaction leaves nothing.
func TestRecordTooLarge(t *testing.T) {
	l := newLog(t)
	ctx := ctxFor(t)
	mustCreate(t, l, "big", 1)
	for _, id := range []string{"big-writer", ""} {
		tx, err := l.Begin(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		huge := logstore.Record{Value: make([]byte, 2<<20)}
		err = tx.Produce(ctx, "big", rec("small"), huge)
		if err == nil {
			_, err = tx.Commit(ctx)
		}
		if !errors.Is(err, logstore.ErrRecordTooLarge) {
			t.Errorf("Begin(%q): a 2 MiB record gave %v, want ErrRecordTooLarge", id, err)
		}
		if id != "" {
			if got := readAll(t, l, logstore.TopicPartition{Topic: "big"}); len(got) != 0 {
				t.Errorf("the failed transaction left %v", got)
			}
		}
	}
}
