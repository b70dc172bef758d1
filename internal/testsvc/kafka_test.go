package testsvc

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestKafkaProduceConsume moves 10,000 records through the broker.
func TestKafkaProduceConsume(t *testing.T) {
	addr := Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	topic := newTopic(ctx, t, addr, 3)

	prod, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	const n = 10000
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Key: []byte(fmt.Sprint(i % 97)), Value: []byte(fmt.Sprint(i))}
	}
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	seen := consume(ctx, t, addr, topic, n, kgo.ReadUncommitted())
	if len(seen) != n {
		t.Fatalf("consumed %d distinct values, want %d", len(seen), n)
	}
}

// TestKafkaTransactions checks that the transaction coordinator works on a
// single node: a read_committed consumer sees a committed transaction and
// not an aborted one.
func TestKafkaTransactions(t *testing.T) {
	addr := Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	topic := newTopic(ctx, t, addr, 1)

	prod, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic),
		kgo.TransactionalID("smoke-"+topic))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	for _, txn := range []struct {
		prefix string
		commit kgo.TransactionEndTry
	}{{"aborted", kgo.TryAbort}, {"committed", kgo.TryCommit}} {
		if err := prod.BeginTransaction(); err != nil {
			t.Fatalf("begin: %v", err)
		}
		for i := 0; i < 3; i++ {
			if err := prod.ProduceSync(ctx, kgo.StringRecord(fmt.Sprintf("%s-%d", txn.prefix, i))).FirstErr(); err != nil {
				t.Fatalf("produce in transaction: %v", err)
			}
		}
		if err := prod.EndTransaction(ctx, txn.commit); err != nil {
			t.Fatalf("end transaction (%s): %v", txn.prefix, err)
		}
	}

	seen := consume(ctx, t, addr, topic, 3, kgo.ReadCommitted())
	for v := range seen {
		if !strings.HasPrefix(v, "committed-") {
			t.Errorf("read_committed consumer saw %q", v)
		}
	}
	if len(seen) != 3 {
		t.Fatalf("read_committed consumer saw %d records, want 3", len(seen))
	}
}

func newTopic(ctx context.Context, t *testing.T, addr string, partitions int32) string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	topic := strings.ToLower(strings.NewReplacer("/", "-").Replace(t.Name())) + "-" + fmt.Sprint(time.Now().UnixNano())
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	return topic
}

// consume reads topic from the start until want records arrived, and
// returns the distinct values seen.
func consume(ctx context.Context, t *testing.T, addr, topic string, want int, iso kgo.IsolationLevel) map[string]bool {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(iso))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	seen := map[string]bool{}
	got := 0
	for got < want {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", got, want, err)
		}
		fetches.EachError(func(topic string, p int32, err error) {
			t.Fatalf("fetch %s/%d: %v", topic, p, err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			got++
			seen[string(r.Value)] = true
		})
	}
	return seen
}
