// Package catalog owns Sluice's metastore: the streams, tables, custom
// types, persistent queries and connectors that exist, and the command log
// that makes them durable. Every statement that changes the catalog is
// appended to the command topic and replayed at start, as ksqlDB does, so a
// restart restores everything and each query resumes from its committed
// offsets.
package catalog

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/sluicedb/sluice/internal/types"
)

// Kind distinguishes streams from tables.
type Kind uint8

const (
	Stream Kind = iota
	Table
)

func (k Kind) String() string {
	if k == Table {
		return "TABLE"
	}
	return "STREAM"
}

// WindowType is the kind of window a windowed key carries.
type WindowType uint8

const (
	NoWindow WindowType = iota
	Tumbling
	Hopping
	Session
)

func (w WindowType) String() string {
	switch w {
	case Tumbling:
		return "TUMBLING"
	case Hopping:
		return "HOPPING"
	case Session:
		return "SESSION"
	}
	return ""
}

// FormatInfo is a serialization format and its properties (delimiter,
// schema id, full schema name, ...).
type FormatInfo struct {
	Name  string
	Props map[string]string
}

// Source is a stream or table registered in the catalog.
type Source struct {
	Name   string
	Kind   Kind
	Schema Schema
	Topic  string

	KeyFormat     FormatInfo
	ValueFormat   FormatInfo
	KeyFeatures   []string // e.g. UNWRAP_SINGLES
	ValueFeatures []string // e.g. WRAP_SINGLE_VALUE / UNWRAP_SINGLE_VALUE

	// Timestamp names the column that supplies event time, if not ROWTIME;
	// TimestampFormat parses it when it is a STRING.
	Timestamp       string
	TimestampFormat string

	// Window describes a windowed key; WindowSize is set for tumbling and
	// hopping windows, in milliseconds.
	Window     WindowType
	WindowSize int64

	// ReadOnly marks CREATE SOURCE STREAM|TABLE: no INSERT, no sink.
	ReadOnly bool
	// SQL is the statement that created the source.
	SQL string
	// CreatedBy is the id of the query that writes the source, if any.
	CreatedBy string
	// Partitions and Replicas of the topic, as known at creation.
	Partitions int32
	Replicas   int16
}

// Query is a persistent query.
type Query struct {
	ID      string
	SQL     string
	Sink    string   // the source written, empty for INSERT INTO with no sink of its own
	Sources []string // sources read
	Kind    string   // PERSISTENT, INSERT, ...
	State   string   // RUNNING, PAUSED, ERROR
}

// Errors.
var (
	ErrExists   = errors.New("already exists")
	ErrNotFound = errors.New("does not exist")
)

// Catalog is the in-memory metastore. It is safe for concurrent use.
type Catalog struct {
	mu       sync.RWMutex
	sources  map[string]*Source
	types    map[string]*types.Type
	queries  map[string]*Query
	nextID   int
	property map[string]string
}

// New returns an empty catalog.
func New() *Catalog {
	return &Catalog{
		sources:  map[string]*Source{},
		types:    map[string]*types.Type{},
		queries:  map[string]*Query{},
		property: map[string]string{},
	}
}

// Source returns a source by name.
func (c *Catalog) Source(name string) (*Source, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.sources[name]
	return s, ok
}

// Sources returns every source sorted by name.
func (c *Catalog) Sources() []*Source {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Source, 0, len(c.sources))
	for _, s := range c.sources {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// PutSource adds or (with replace) replaces a source.
func (c *Catalog) PutSource(s *Source, replace bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sources[s.Name]; ok && !replace {
		return fmt.Errorf("source %s: %w", s.Name, ErrExists)
	}
	c.sources[s.Name] = s
	return nil
}

// DropSource removes a source.
func (c *Catalog) DropSource(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sources[name]; !ok {
		return fmt.Errorf("source %s: %w", name, ErrNotFound)
	}
	delete(c.sources, name)
	return nil
}

// Type returns a custom type by name.
func (c *Catalog) Type(name string) (*types.Type, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, ok := c.types[name]
	return t, ok
}

// Types returns the custom types.
func (c *Catalog) Types() map[string]*types.Type {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make(map[string]*types.Type, len(c.types))
	for k, v := range c.types {
		out[k] = v
	}
	return out
}

// PutType registers a custom type.
func (c *Catalog) PutType(name string, t *types.Type) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.types[name]; ok {
		return fmt.Errorf("type %s: %w", name, ErrExists)
	}
	c.types[name] = t
	return nil
}

// DropType removes a custom type.
func (c *Catalog) DropType(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.types[name]; !ok {
		return fmt.Errorf("type %s: %w", name, ErrNotFound)
	}
	delete(c.types, name)
	return nil
}

// NextQueryID returns a new query id with the given prefix, e.g.
// CSAS_OUTPUT_0, numbered as ksqlDB numbers them: one counter per catalog.
func (c *Catalog) NextQueryID(prefix string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := fmt.Sprintf("%s_%d", prefix, c.nextID)
	c.nextID++
	return id
}

// PutQuery records a persistent query.
func (c *Catalog) PutQuery(q *Query) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queries[q.ID] = q
}

// Query returns a query by id.
func (c *Catalog) Query(id string) (*Query, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	q, ok := c.queries[id]
	return q, ok
}

// DropQuery removes a query.
func (c *Catalog) DropQuery(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.queries, id)
}

// Queries returns the queries sorted by id.
func (c *Catalog) Queries() []*Query {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Query, 0, len(c.queries))
	for _, q := range c.queries {
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// QueriesWriting returns the queries whose sink is the named source.
func (c *Catalog) QueriesWriting(name string) []*Query {
	var out []*Query
	for _, q := range c.Queries() {
		if q.Sink == name {
			out = append(out, q)
		}
	}
	return out
}

// QueriesReading returns the queries that read the named source.
func (c *Catalog) QueriesReading(name string) []*Query {
	var out []*Query
	for _, q := range c.Queries() {
		for _, s := range q.Sources {
			if s == name {
				out = append(out, q)
				break
			}
		}
	}
	return out
}
