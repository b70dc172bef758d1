package aggregate

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/bits"
	"sort"

	"github.com/sluicedb/sluice/internal/value"
)

// COUNT_DISTINCT keeps a BYTES accumulator in one of two layouts, chosen by
// its first byte:
//
//   - sparse: the sorted 64-bit hashes of the values seen, while there are
//     at most sparseMax of them; the count is exact (up to 64-bit hash
//     collisions);
//   - dense: a HyperLogLog sketch with 2^14 one-byte registers, as ksqlDB
//     uses (its typical error is under 1%).
//
// Either way the accumulator is bounded (about 16 KiB), so a key with
// millions of distinct values neither grows without limit nor costs
// quadratic time. Hashes must be stable across restarts because
// accumulators are persisted, so the hash is FNV-1a over the value's
// encoding, finished with a 64-bit mixer, never a seeded hash.
const (
	hllP        = 14
	hllM        = 1 << hllP
	sparseMax   = 2048
	layoutEmpty = 0
	layoutSpars = 1
	layoutDense = 2
)

func hashValue(v value.Value) uint64 {
	h := fnv.New64a()
	h.Write(value.AppendValue(nil, v))
	x := h.Sum64()
	// splitmix64's finaliser spreads FNV's weak high bits.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func sparseHashes(b []byte) []uint64 {
	n := (len(b) - 1) / 8
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.BigEndian.Uint64(b[1+8*i:])
	}
	return out
}

func encodeSparse(hs []uint64) value.Value {
	b := make([]byte, 1+8*len(hs))
	b[0] = layoutSpars
	for i, h := range hs {
		binary.BigEndian.PutUint64(b[1+8*i:], h)
	}
	return value.Bytes(b)
}

func denseAdd(regs []byte, h uint64) {
	idx := h >> (64 - hllP)
	rank := byte(bits.LeadingZeros64(h<<hllP|1<<(hllP-1)) + 1)
	if rank > regs[idx] {
		regs[idx] = rank
	}
}

func toDense(hs []uint64) []byte {
	b := make([]byte, 1+hllM)
	b[0] = layoutDense
	for _, h := range hs {
		denseAdd(b[1:], h)
	}
	return b
}

// distinctAdd returns a new accumulator with the hashes added.
func distinctAdd(acc []byte, add ...uint64) value.Value {
	if len(acc) > 0 && acc[0] == layoutDense {
		b := append([]byte(nil), acc...)
		for _, h := range add {
			denseAdd(b[1:], h)
		}
		return value.Bytes(b)
	}
	var hs []uint64
	if len(acc) > 0 {
		hs = sparseHashes(acc)
	}
	for _, h := range add {
		i := sort.Search(len(hs), func(i int) bool { return hs[i] >= h })
		if i < len(hs) && hs[i] == h {
			continue
		}
		hs = append(hs, 0)
		copy(hs[i+1:], hs[i:])
		hs[i] = h
	}
	if len(hs) > sparseMax {
		return value.Bytes(toDense(hs))
	}
	return encodeSparse(hs)
}

func distinctMerge(a, b []byte) value.Value {
	switch {
	case len(b) == 0:
		return value.Bytes(append([]byte(nil), a...))
	case b[0] == layoutDense && (len(a) == 0 || a[0] != layoutDense):
		a, b = b, a
	}
	if len(b) == 0 {
		return value.Bytes(append([]byte(nil), a...))
	}
	if b[0] == layoutDense {
		out := append([]byte(nil), a...)
		for i, r := range b[1:] {
			if r > out[1+i] {
				out[1+i] = r
			}
		}
		return value.Bytes(out)
	}
	return distinctAdd(a, sparseHashes(b)...)
}

func distinctCount(acc []byte) int64 {
	if len(acc) == 0 {
		return 0
	}
	if acc[0] != layoutDense {
		return int64((len(acc) - 1) / 8)
	}
	regs := acc[1:]
	sum, zeros := 0.0, 0
	for _, r := range regs {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	m := float64(hllM)
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros))
	}
	return int64(math.Round(est))
}
