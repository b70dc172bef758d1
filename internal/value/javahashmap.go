package value

import (
	"math"
	"sort"
	"unicode/utf16"

	"github.com/sluicedb/sluice/internal/types"
)

// JavaHashMap builds a MAP whose entries come out in the order a
// java.util.HashMap (JDK 8 to 18) iterates them. Several of ksqlDB's
// functions (TRANSFORM and FILTER over maps, AS_MAP, MAP_UNION,
// SPLIT_TO_MAP) return a fresh HashMap, and its iteration order is the
// order ksqlDB's serializers write the entries in: JSON object members,
// Avro map entries, Protobuf repeated map entries.
//
// HashMap keeps a power-of-two table of buckets, indexed by the key's
// hashCode spread as h ^ (h >>> 16); a bucket keeps its entries in
// insertion order, and a resize splits each bucket without reordering.
// Iteration walks the buckets in index order, so it is the insertion
// order stably sorted by bucket in the final table. Emulated here: the
// table's growth (default capacity 16, load factor 0.75, putAll's
// pre-sizing, the resize a long bucket forces below capacity 64). Not
// emulated: the red-black tree a bucket of nine or more colliding keys
// becomes at capacity 64 and above, whose root iterates first. Keys whose
// Java hashCode is not modelled (anything but STRING, INT, BIGINT,
// BOOLEAN and DOUBLE) keep insertion order.
type JavaHashMap struct {
	entries []Entry
	hashes  []int32 // spread hash of each entry's key
	byHash  map[int32][]int
	cap     int // table length; 0 until the first put allocates it
	thr     int // resize threshold, or the initial capacity before allocation
	hashOK  bool
}

// NewJavaHashMap is new HashMap<>() when initialCapacity < 0 (and what
// Collectors.toMap creates), else new HashMap<>(initialCapacity).
func NewJavaHashMap(initialCapacity int) *JavaHashMap {
	m := &JavaHashMap{byHash: map[int32][]int{}, hashOK: true}
	if initialCapacity >= 0 {
		m.thr = tableSizeFor(initialCapacity)
	}
	return m
}

// tableSizeFor is the power of two HashMap rounds a capacity up to.
func tableSizeFor(c int) int {
	n := 1
	for n < c {
		n <<= 1
	}
	return n
}

// PutAll is putAll(m): an empty table is first sized for len(es) entries
// (JDK 8's s/0.75+1, before JDK 19 changed the rounding), a non-empty one
// doubled once if len(es) exceeds its threshold.
func (m *JavaHashMap) PutAll(es []Entry) {
	if len(es) == 0 {
		return
	}
	if m.cap == 0 {
		if t := int(float32(len(es))/0.75 + 1); t > m.thr {
			m.thr = tableSizeFor(t)
		}
	} else if len(es) > m.thr {
		m.resize()
	}
	for _, e := range es {
		m.Put(e.Key, e.Val)
	}
}

// Put is put(k, v): a new key is appended, an existing key keeps its place
// and takes the new value.
func (m *JavaHashMap) Put(k, v Value) {
	h, ok := javaHashCode(k)
	if !ok {
		m.hashOK = false
	}
	h ^= int32(uint32(h) >> 16)
	for _, i := range m.byHash[h] {
		if Equal(m.entries[i].Key, k) {
			m.entries[i].Val = v
			return
		}
	}
	if m.cap == 0 {
		m.cap = 16
		if m.thr > 0 {
			m.cap = m.thr
		}
		m.thr = int(float32(m.cap) * 0.75)
	}
	// A bucket that already holds eight entries would become a tree, but
	// below capacity 64 HashMap grows the table instead.
	if m.cap < 64 {
		n := 0
		for _, o := range m.hashes {
			if int(o)&(m.cap-1) == int(h)&(m.cap-1) {
				n++
			}
		}
		if n >= 8 {
			m.resize()
		}
	}
	m.byHash[h] = append(m.byHash[h], len(m.entries))
	m.entries = append(m.entries, Entry{Key: k, Val: v})
	m.hashes = append(m.hashes, h)
	if len(m.entries) > m.thr {
		m.resize()
	}
}

func (m *JavaHashMap) resize() {
	old := m.cap
	m.cap <<= 1
	if old >= 16 {
		m.thr <<= 1
	} else {
		m.thr = int(float32(m.cap) * 0.75)
	}
}

// Map returns the MAP value, its entries in the HashMap's iteration order.
func (m *JavaHashMap) Map() Value {
	if !m.hashOK || m.cap == 0 {
		return Map(m.entries)
	}
	idx := make([]int, len(m.entries))
	for i := range idx {
		idx[i] = i
	}
	mask := int32(m.cap - 1)
	sort.SliceStable(idx, func(a, b int) bool { return m.hashes[idx[a]]&mask < m.hashes[idx[b]]&mask })
	out := make([]Entry, len(idx))
	for i, j := range idx {
		out[i] = m.entries[j]
	}
	return Map(out)
}

// javaHashCode is the Java hashCode of the boxed value ksqlDB holds for v:
// String, Integer, Long, Boolean or Double. A null key hashes to 0.
func javaHashCode(v Value) (int32, bool) {
	switch v.Kind() {
	case types.Null:
		return 0, true
	case types.String:
		var h int32
		for _, r := range v.Str() {
			if r >= 0x10000 {
				r1, r2 := utf16.EncodeRune(r)
				h = 31*h + r1
				h = 31*h + r2
				continue
			}
			h = 31*h + r
		}
		return h, true
	case types.Int:
		return int32(v.AsInt64()), true
	case types.Bigint:
		n := v.AsInt64()
		return int32(n ^ int64(uint64(n)>>32)), true
	case types.Boolean:
		if v.Bool() {
			return 1231, true
		}
		return 1237, true
	case types.Double:
		f := v.Double()
		bits := math.Float64bits(f)
		if f != f {
			bits = 0x7ff8000000000000 // doubleToLongBits' canonical NaN
		}
		return int32(bits ^ bits>>32), true
	}
	return 0, false
}
