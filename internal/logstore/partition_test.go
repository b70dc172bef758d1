package logstore

import "testing"

// The expected values come from Kafka's own partitioner tests
// (DefaultPartitionerTest / Utils.murmur2 with known keys).
func TestMurmur2(t *testing.T) {
	tests := []struct {
		key  string
		want int32
	}{
		{"21", -973932308},
		{"foobar", -790332482},
		{"a-little-bit-long-string", -985981536},
		{"a-little-bit-longer-string", -1486304829},
		{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
		{"abc", 479470107},
	}
	for _, tc := range tests {
		if got := murmur2([]byte(tc.key)); got != tc.want {
			t.Errorf("murmur2(%q) = %d, want %d", tc.key, got, tc.want)
		}
	}
}

func TestPartitionInRange(t *testing.T) {
	for _, k := range []string{"", "a", "hello", "21"} {
		if p := Partition([]byte(k), 7); p < 0 || p >= 7 {
			t.Errorf("Partition(%q, 7) = %d", k, p)
		}
	}
}
