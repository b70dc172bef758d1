package javatime

import (
	"sync"
	"time"

	// Zone rules ship inside the binary so named zones resolve the same
	// on a machine without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// Cache memoises compiled patterns. Functions such as FORMAT_TIMESTAMP
// receive the pattern as an argument on every row, nearly always the same
// literal, so compiling once per distinct pattern keeps them cheap. The
// zero Cache is ready to use; it is safe for concurrent use and bounded.
type Cache struct {
	mu    sync.RWMutex
	m     map[string]*Formatter
	zones map[string]*time.Location
}

// Zone returns LoadZone(id), memoised: loading a named zone reads and
// parses its rules, which costs far more than formatting with them.
func (c *Cache) Zone(id string) (*time.Location, error) {
	c.mu.RLock()
	loc, ok := c.zones[id]
	c.mu.RUnlock()
	if ok {
		return loc, nil
	}
	loc, err := LoadZone(id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.zones == nil || len(c.zones) >= cacheMax {
		c.zones = map[string]*time.Location{}
	}
	c.zones[id] = loc
	c.mu.Unlock()
	return loc, nil
}

const cacheMax = 1024

// Get returns the compiled pattern, compiling it on first use.
func (c *Cache) Get(pattern string) (*Formatter, error) {
	c.mu.RLock()
	f, ok := c.m[pattern]
	c.mu.RUnlock()
	if ok {
		return f, nil
	}
	f, err := Compile(pattern)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= cacheMax {
		// Dropping everything is crude but keeps memory bounded when a
		// query builds patterns from data.
		c.m = map[string]*Formatter{}
	}
	c.m[pattern] = f
	c.mu.Unlock()
	return f, nil
}
