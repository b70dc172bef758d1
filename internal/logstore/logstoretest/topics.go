package logstoretest

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/logstore"
)

func testTopics(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	cfgs := []struct {
		name string
		cfg  logstore.TopicConfig
	}{
		{"zeta", logstore.TopicConfig{Partitions: 1, Replicas: 1}},
		{"alpha.topic_1-x", logstore.TopicConfig{Partitions: 3, Replicas: 1, Configs: map[string]string{"cleanup.policy": "compact"}, Compact: true}},
		{"Mid", logstore.TopicConfig{Partitions: 2, Replicas: 1, RetentionTime: 3600e9}},
	}
	for _, c := range cfgs {
		if err := l.CreateTopic(ctx, c.name, c.cfg); err != nil {
			t.Fatalf("CreateTopic(%q): %v", c.name, err)
		}
	}
	for _, c := range cfgs {
		info, err := l.DescribeTopic(ctx, c.name)
		if err != nil {
			t.Fatalf("DescribeTopic(%q): %v", c.name, err)
		}
		if info.Name != c.name || info.Partitions != c.cfg.Partitions || info.Config.Partitions != c.cfg.Partitions {
			t.Errorf("DescribeTopic(%q) = %+v, want %d partitions", c.name, info, c.cfg.Partitions)
		}
		if info.Config.Compact != c.cfg.Compact {
			t.Errorf("DescribeTopic(%q).Config.Compact = %v, want %v", c.name, info.Config.Compact, c.cfg.Compact)
		}
		for k, v := range c.cfg.Configs {
			if got := info.Config.Configs[k]; got != v {
				t.Errorf("DescribeTopic(%q).Config.Configs[%q] = %q, want %q", c.name, k, got, v)
			}
		}
	}
	list, err := l.ListTopics(ctx)
	if err != nil {
		t.Fatalf("ListTopics: %v", err)
	}
	var names []string
	for _, info := range list {
		if !strings.HasPrefix(info.Name, "_") && !strings.HasPrefix(info.Name, "__") {
			names = append(names, info.Name)
		}
	}
	if want := []string{"Mid", "alpha.topic_1-x", "zeta"}; !equalStrings(names, want) {
		t.Errorf("ListTopics = %v, want %v (sorted)", names, want)
	}
	if err := l.DeleteTopic(ctx, "Mid"); err != nil {
		t.Fatalf("DeleteTopic: %v", err)
	}
	if _, err := l.DescribeTopic(ctx, "Mid"); !errors.Is(err, logstore.ErrUnknownTopic) {
		t.Errorf("DescribeTopic after delete: %v, want ErrUnknownTopic", err)
	}
	list, _ = l.ListTopics(ctx)
	for _, info := range list {
		if info.Name == "Mid" {
			t.Errorf("ListTopics still lists a deleted topic")
		}
	}
}

func testTopicErrors(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "dup", 1)
	tests := []struct {
		name       string
		partitions int32
		want       error
	}{
		{"dup", 1, logstore.ErrTopicExists},
		{"", 1, logstore.ErrInvalidTopicName},
		{".", 1, logstore.ErrInvalidTopicName},
		{"..", 1, logstore.ErrInvalidTopicName},
		{"has space", 1, logstore.ErrInvalidTopicName},
		{"slash/no", 1, logstore.ErrInvalidTopicName},
		{"uml\u00e4ut", 1, logstore.ErrInvalidTopicName},
		{strings.Repeat("x", 250), 1, logstore.ErrInvalidTopicName},
		{"zero-partitions", 0, logstore.ErrInvalidPartitions},
		{"negative-partitions", -3, logstore.ErrInvalidPartitions},
	}
	for _, tc := range tests {
		err := l.CreateTopic(ctx, tc.name, logstore.TopicConfig{Partitions: tc.partitions, Replicas: 1})
		if !errors.Is(err, tc.want) {
			t.Errorf("CreateTopic(%.20q, %d) = %v, want %v", tc.name, tc.partitions, err, tc.want)
		}
	}
	if err := l.CreateTopic(ctx, strings.Repeat("y", 249), logstore.TopicConfig{Partitions: 1, Replicas: 1}); err != nil {
		t.Errorf("CreateTopic with a 249-character name: %v", err)
	}
	if err := l.DeleteTopic(ctx, "missing"); !errors.Is(err, logstore.ErrUnknownTopic) {
		t.Errorf("DeleteTopic(missing) = %v, want ErrUnknownTopic", err)
	}
	if _, err := l.DescribeTopic(ctx, "missing"); !errors.Is(err, logstore.ErrUnknownTopic) {
		t.Errorf("DescribeTopic(missing) = %v, want ErrUnknownTopic", err)
	}
}

func testDeleteRecreate(t *testing.T, l logstore.Log) {
	ctx := ctxFor(t)
	mustCreate(t, l, "again", 2)
	produce(t, l, "again", val("old"))
	tx, err := l.Begin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.CommitOffsets(ctx, "g", map[logstore.TopicPartition]int64{tp("again", 0): 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.DeleteTopic(ctx, "again"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ListOffsets(ctx, tp("again", 0)); !errors.Is(err, logstore.ErrUnknownTopic) {
		t.Errorf("ListOffsets on a deleted topic: %v, want ErrUnknownTopic", err)
	}
	mustCreate(t, l, "again", 1)
	if got := fetchAll(t, l, tp("again", 0), 0); len(got) != 0 {
		t.Errorf("a re-created topic holds %d old records", len(got))
	}
	offs, err := l.ListOffsets(ctx, tp("again", 0))
	if err != nil {
		t.Fatal(err)
	}
	if offs.Start != offs.End {
		t.Errorf("a re-created topic has offsets %+v, want empty", offs)
	}
	produce(t, l, "again", val("new"))
	if got := values(fetchAll(t, l, tp("again", 0), offs.Start)); !equalStrings(got, []string{"new"}) {
		t.Errorf("re-created topic holds %v, want [new]", got)
	}
}
