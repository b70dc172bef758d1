package pebblestore

// A batch view caches the values of the keys it read or wrote, so that the
// point reads a task makes for every record (an aggregate's accumulator, a
// table row a stream joins) are a map lookup instead of Pebble's indexed
// batch Get, which builds an iterator over the batch and every level per
// call: 31% of a GROUP BY's CPU before. Writes go through to the batch as
// before, so commits, iterators and atomicity are unchanged; the cache only
// answers Get, and holds what the batch and the committed data hold. Keys
// enter it when read, and writes update the keys it holds.
//
// It is dropped whenever that may stop being true: when the batch drops
// uncommitted writes (Discard, a failed commit), on a DeleteRange through
// the view, and when another writer commits to the store (Store.gen). When
// it outgrows its budget, it forgets about a quarter of its keys.

// viewCacheOverhead approximates what a cached key costs besides its bytes:
// the map slot, the entry, the string and slice headers.
const viewCacheOverhead = 80

type cachedValue struct {
	key     string
	value   []byte
	present bool // false: the key has no value
}

// viewCache maps keys to entries by index, so that updating a cached key
// changes its entry in place and allocates nothing.
type viewCache struct {
	limit int64 // <= 0: disabled
	bytes int64
	gen   uint64 // the store's gen the entries reflect
	idx   map[string]int32
	ents  []cachedValue
}

// valid drops the entries if another writer committed to the store since
// they were cached, and reports whether the cache is on.
func (c *viewCache) valid(gen uint64) bool {
	if c.limit <= 0 {
		return false
	}
	if gen != c.gen {
		c.clear()
		c.gen = gen
	}
	return true
}

func (c *viewCache) clear() {
	if len(c.ents) > 0 {
		clear(c.idx)
		clear(c.ents)
		c.ents = c.ents[:0]
	}
	c.bytes = 0
}

// get returns key's cached value and whether the key has one, and whether
// the cache knows the key at all.
func (c *viewCache) get(key []byte) (value []byte, present, known bool) {
	i, ok := c.idx[string(key)]
	if !ok {
		return nil, false, false
	}
	e := &c.ents[i]
	return e.value, e.present, true
}

// update records a write of key if the cache knows the key. Keys enter the
// cache only when read: a store written once per key, as a join's window
// store is, would otherwise churn through it for nothing.
func (c *viewCache) update(key, value []byte, present bool) {
	if i, ok := c.idx[string(key)]; ok {
		c.setAt(i, value, present)
	}
}

// set records key's value; present false records that it has none. The
// value is copied, into the entry's old buffer when it fits. When the cache
// outgrows its budget it starts over.
func (c *viewCache) set(key, value []byte, present bool) {
	i, ok := c.idx[string(key)]
	if !ok {
		if c.bytes > c.limit {
			c.clear()
		}
		if c.idx == nil {
			c.idx = make(map[string]int32)
		}
		k := string(key)
		i = int32(len(c.ents))
		c.idx[k] = i
		c.ents = append(c.ents, cachedValue{key: k})
		c.bytes += int64(len(k) + viewCacheOverhead)
	}
	c.setAt(i, value, present)
}

func (c *viewCache) setAt(i int32, value []byte, present bool) {
	e := &c.ents[i]
	c.bytes -= int64(cap(e.value))
	e.present = present
	switch {
	case !present:
		e.value = e.value[:0]
	case cap(e.value) >= len(value) && cap(e.value) <= 2*len(value)+64:
		e.value = append(e.value[:0], value...)
	default:
		e.value = append(make([]byte, 0, len(value)), value...)
	}
	c.bytes += int64(cap(e.value))
}
