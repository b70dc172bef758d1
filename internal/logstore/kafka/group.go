package kafka

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicedb/sluice/internal/logstore"
)

// Scale-out is Kafka's: the servers of one service that run a query join
// one consumer group for it, and the group's leader hands each member a
// share of the query's tasks. Sluice never decides ownership itself; it
// follows the group, and a task that moves fences its transactional id
// (stream.Query.Assign) so the old owner cannot commit after the move.
//
// The members use the group only for its membership and balancing: they
// never fetch through it (fetching stays paused) and never commit offsets
// through it. A query's offsets live in its ksqlDB-named group, written
// inside each task's transaction; membership lives in a sibling group
// (MemberGroup), because the coordinator refuses transactional commits
// without a generation to a group that is mid-rebalance.

// MemberGroup names the membership group of a query whose offsets are in
// group.
func MemberGroup(group string) string { return group + "-members" }

var _ logstore.TaskGrouper = (*Log)(nil)

// member is one process's membership of a query's task group.
type member struct {
	cl     *kgo.Client
	tasks  [][]logstore.TopicPartition
	index  map[physPart]int // every partition of every task → its task
	assign func([]int)

	mu    sync.Mutex // serialises assign calls
	owned map[int]bool
}

// physPart is a partition by its cluster topic name.
type physPart struct {
	topic     string
	partition int32
}

// JoinTasks joins the query's membership group with a cooperative,
// sticky, task-aware balancer (taskBalancer): every partition of a task
// goes to the same member, a member keeps what it owned where balance
// allows, and a task moves only after its old owner has released it.
func (l *Log) JoinTasks(ctx context.Context, group string, tasks [][]logstore.TopicPartition, gopts logstore.GroupOptions, assign func([]int)) (logstore.GroupMember, error) {
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return nil, logstore.ErrClosed
	}
	m := &member{tasks: tasks, index: map[physPart]int{}, assign: assign, owned: map[int]bool{}}
	phys := make([][]physPart, len(tasks))
	topicSet := map[string]bool{}
	for i, task := range tasks {
		if len(task) == 0 {
			return nil, fmt.Errorf("kafka: join %q: task %d has no partitions", group, i)
		}
		for _, tp := range task {
			pp := physPart{l.physical(tp.Topic), tp.Partition}
			if prev, dup := m.index[pp]; dup {
				return nil, fmt.Errorf("kafka: join %q: %s/%d is in tasks %d and %d", group, tp.Topic, tp.Partition, prev, i)
			}
			m.index[pp] = i
			phys[i] = append(phys[i], pp)
			topicSet[pp.topic] = true
		}
	}
	topics := make([]string, 0, len(topicSet))
	for t := range topicSet {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	opts, err := l.opts.clientOpts()
	if err != nil {
		return nil, fmt.Errorf("kafka: join %q: %w", group, err)
	}
	opts = append(opts,
		kgo.ConsumerGroup(l.group(MemberGroup(group))),
		kgo.ConsumeTopics(topics...),
		kgo.Balancers(&taskBalancer{tasks: phys, addr: gopts.Address}),
		kgo.DisableAutoCommit(),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, got map[string][]int32) { m.change(got, true) }),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) { m.change(lost, false) }),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) { m.change(lost, false) }),
	)
	if gopts.SessionTimeout > 0 {
		opts = append(opts, kgo.SessionTimeout(gopts.SessionTimeout),
			kgo.HeartbeatInterval(max(gopts.SessionTimeout/10, 100*time.Millisecond)))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: join %q: %w", group, err)
	}
	// Records are read by the tasks, partition by partition; the group
	// client must not fetch them a second time.
	cl.PauseFetchTopics(topics...)
	m.cl = cl
	return m, nil
}

// change applies an assignment delta and reports the new owned set.
func (m *member) change(parts map[string][]int32, add bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	changed := false
	for topic, ps := range parts {
		for _, p := range ps {
			i, ok := m.index[physPart{topic, p}]
			if !ok || m.owned[i] == add {
				continue
			}
			changed = true
			if add {
				m.owned[i] = true
			} else {
				delete(m.owned, i)
			}
		}
	}
	if changed {
		m.assign(m.ownedLocked())
	}
}

func (m *member) ownedLocked() []int {
	out := make([]int, 0, len(m.owned))
	for i := range m.owned {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// Close leaves the group, so the other members take the tasks over at the
// next rebalance, and stops every task this member still runs.
func (m *member) Close() error {
	m.cl.Close()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.owned) > 0 {
		clear(m.owned)
		m.assign(nil)
	}
	return nil
}

// taskBalancer is a cooperative sticky balancer over tasks rather than
// partitions. Kafka's own balancers place each partition independently,
// which would split a join's co-partitioned inputs between two servers.
type taskBalancer struct {
	tasks [][]physPart
	// addr is the member's advertised address, sent as the user data of
	// its join metadata, where TaskOwners reads it back.
	addr string
}

func (*taskBalancer) ProtocolName() string { return "sluice-tasks" }
func (*taskBalancer) IsCooperative() bool  { return true }

// JoinGroupMetadata is the cooperative-sticky metadata: the topics and the
// partitions this member owns now, which is what stickiness needs. Its user
// data, which Balance never reads, carries the member's address instead of
// the sticky balancer's generation, as Kafka Streams' members carry their
// application.server for ksqlDB's pull query routing.
func (b *taskBalancer) JoinGroupMetadata(interests []string, current map[string][]int32, generation int32) []byte {
	raw := kgo.CooperativeStickyBalancer().JoinGroupMetadata(interests, current, generation)
	if b.addr == "" {
		return raw
	}
	meta := kmsg.NewConsumerMemberMetadata()
	if err := meta.ReadFrom(raw); err != nil {
		return raw
	}
	meta.UserData = []byte(b.addr)
	return meta.AppendTo(nil)
}

func (*taskBalancer) ParseSyncAssignment(assignment []byte) (map[string][]int32, error) {
	return kgo.ParseConsumerSyncAssignment(assignment)
}

func (b *taskBalancer) MemberBalancer(members []kmsg.JoinGroupResponseMember) (kgo.GroupMemberBalancer, map[string]struct{}, error) {
	cb, err := kgo.NewConsumerBalancer(b, members)
	if err != nil {
		return nil, nil, err
	}
	return cb, cb.MemberTopics(), nil
}

// Balance gives every member floor(T/M) or ceil(T/M) of the T tasks.
// Tasks stay with their current owner while it is under its share; the
// rest go to the least loaded members. AdjustCooperative then holds back
// any task whose owner has not released it yet; the next round places it.
func (b *taskBalancer) Balance(cb *kgo.ConsumerBalancer, _ map[string]int32) kgo.IntoSyncAssignment {
	members := cb.Members()
	plan := cb.NewPlan()
	if len(members) == 0 {
		return plan
	}
	owner := make([]int, len(b.tasks))
	for i := range owner {
		owner[i] = -1
	}
	index := map[physPart]int{}
	for i, task := range b.tasks {
		for _, pp := range task {
			index[pp] = i
		}
	}
	for mi := range members {
		_, meta := cb.MemberAt(mi)
		for _, op := range meta.OwnedPartitions {
			for _, p := range op.Partitions {
				if ti, ok := index[physPart{op.Topic, p}]; ok && owner[ti] < 0 {
					owner[ti] = mi
				}
			}
		}
	}
	// Visit tasks partition by partition: a member keeping or taking a
	// share then holds whole partitions of every sub-topology, rather than
	// every partition of some sub-topologies and none of others, so each
	// server runs a part of each stage, its table materializations
	// included, and a partition's stages sit together as Kafka Streams
	// co-locates them.
	order := make([]int, len(b.tasks))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return int(b.tasks[x][0].partition) - int(b.tasks[y][0].partition) })
	place := balanceTasks(owner, len(members), order)
	for ti, mi := range place {
		for _, pp := range b.tasks[ti] {
			plan.AddPartition(&members[mi], pp.topic, pp.partition)
		}
	}
	plan.AdjustCooperative(cb)
	return plan
}

// balanceTasks places tasks on n members given each task's current owner
// (-1 for none), keeping owners where the balance allows. It visits tasks
// in order (nil: by index), which decides which tasks an owner keeps and
// how the rest spread.
func balanceTasks(owner []int, n int, order []int) []int {
	t := len(owner)
	if order == nil {
		order = make([]int, t)
		for i := range order {
			order[i] = i
		}
	}
	floor, extra := t/n, t%n // extra members may hold floor+1
	load := make([]int, n)
	place := make([]int, t)
	for i := range place {
		place[i] = -1
	}
	// Keep up to floor tasks per owner, then let owners fill the extra
	// slots, then spread what is left.
	for _, ti := range order {
		if o := owner[ti]; o >= 0 && o < n && load[o] < floor {
			place[ti] = o
			load[o]++
		}
	}
	for _, ti := range order {
		if o := owner[ti]; place[ti] < 0 && o >= 0 && o < n && load[o] == floor && extra > 0 {
			place[ti] = o
			load[o]++
			extra--
		}
	}
	for _, ti := range order {
		if place[ti] >= 0 {
			continue
		}
		best := -1
		for mi := range load {
			if load[mi] < floor || (load[mi] == floor && extra > 0) {
				if best < 0 || load[mi] < load[best] {
					best = mi
				}
			}
		}
		if load[best] == floor {
			extra--
		}
		place[ti] = best
		load[best]++
	}
	return place
}
