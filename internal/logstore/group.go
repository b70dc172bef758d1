package logstore

import (
	"context"
	"time"
)

// TaskGrouper is implemented by backends that several processes share,
// such as a Kafka cluster. The processes of one service that run the same
// query join one group for it, and the backend balances the query's tasks
// among the members: each task is a set of co-partitioned input
// partitions that always goes to one member whole. The embedded log does
// not implement it; one process owns every task there.
type TaskGrouper interface {
	// JoinTasks joins group and calls assign with the full set of task
	// indexes (into tasks) this member owns, each time it changes. A
	// call that drops tasks must not return before the caller has
	// stopped them: the backend hands them to another member only then.
	// Calls are serialised. All members must pass the same tasks.
	JoinTasks(ctx context.Context, group string, tasks [][]TopicPartition, opts GroupOptions, assign func(owned []int)) (GroupMember, error)
}

// GroupOptions tunes a group membership.
type GroupOptions struct {
	// SessionTimeout is how long a member that stopped heartbeating
	// (killed, partitioned away) keeps its tasks; zero means the
	// backend's default.
	SessionTimeout time.Duration
	// Address is what this member advertises to the others, such as the
	// URL of its server's internal listener; OwnerLocator reports it.
	Address string
}

// OwnerLocator is implemented by TaskGroupers that can say which member
// owns a task, so that requests for a task's data, such as a pull query's
// key lookup, go to the process whose stores hold it.
type OwnerLocator interface {
	// TaskOwners returns, for those of tps that a member of group owns
	// now, the Address that member joined with. Partitions no member owns
	// (mid-rebalance) are absent.
	TaskOwners(ctx context.Context, group string, tps []TopicPartition) (map[TopicPartition]string, error)
}

// GroupMember is one process's membership in a task group.
type GroupMember interface {
	// Close leaves the group: assign is called with no tasks, and the
	// others take over at once rather than after a session timeout.
	Close() error
}

// Fencer is implemented by backends whose Begin may reuse a writer
// without claiming its id again (logstore/kafka pools its producers).
// Fence claims id now: any other writer with the id, in this process or
// another, is fenced and its open transaction aborted. A task that moves
// between processes fences before it reads its committed offsets.
type Fencer interface {
	Fence(ctx context.Context, id string) error
}
