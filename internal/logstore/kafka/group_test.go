package kafka

import (
	"slices"
	"testing"
)

func TestBalanceTasks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		owner   []int
		members int
		order   []int
		want    []int
	}{
		{"fresh group", []int{-1, -1, -1, -1}, 2, nil, []int{0, 1, 0, 1}},
		{"second member joins: half move", []int{0, 0, 0, 0}, 2, nil, []int{0, 0, 1, 1}},
		{"member dies: survivor takes all", []int{0, 1, 0, 1}, 1, nil, []int{0, 0, 0, 0}},
		{"owners kept when balanced", []int{1, 0, 1, 0}, 2, nil, []int{1, 0, 1, 0}},
		{"odd count: one member gets the extra", []int{0, 0, 0, 1, 1}, 2, nil, []int{0, 0, 0, 1, 1}},
		{"owner gone from group", []int{2, 2, 0, 1}, 2, nil, []int{0, 1, 0, 1}},
		{"more members than tasks", []int{-1, -1}, 3, nil, []int{0, 1}},
		// Three sub-topologies of two partitions, tasks 0-1, 2-3, 4-5,
		// visited partition by partition: the joining member takes one
		// partition of each.
		{"second member joins: a partition of every stage", []int{0, 0, 0, 0, 0, 0}, 2, []int{0, 2, 4, 1, 3, 5}, []int{0, 1, 0, 1, 0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := balanceTasks(tc.owner, tc.members, tc.order)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("balanceTasks(%v, %d, %v) = %v, want %v", tc.owner, tc.members, tc.order, got, tc.want)
			}
		})
	}
}
