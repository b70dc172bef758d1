package logstore

// Partition returns the partition Kafka's default partitioner picks for a
// non-null key: murmur2 of the key bytes, made positive, modulo n. Sluice
// uses it everywhere a key is routed so that its topics are laid out exactly
// as ksqlDB's would be, and so that co-partitioned joins line up.
func Partition(key []byte, n int32) int32 {
	if n <= 0 {
		return 0
	}
	return int32(uint32(murmur2(key))&0x7fffffff) % n
}

// murmur2 is the 32-bit MurmurHash2 variant used by Kafka's Java client
// (org.apache.kafka.common.utils.Utils.murmur2), seed 0x9747b28c.
func murmur2(data []byte) int32 {
	const (
		seed = 0x9747b28c
		m    = 0x5bd1e995
		r    = 24
	)
	length := len(data)
	h := uint32(seed) ^ uint32(length)
	n := length / 4
	for i := 0; i < n; i++ {
		j := i * 4
		k := uint32(data[j]) | uint32(data[j+1])<<8 | uint32(data[j+2])<<16 | uint32(data[j+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := data[n*4:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}
