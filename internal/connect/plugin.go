package connect

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sluicedb/sluice/internal/registry"
)

// Converter serialises Connect data to the bytes stored in the log and
// back, as Kafka Connect's key.converter and value.converter do. A
// converter is configured for keys or values and then used by one task's
// goroutine at a time; implementations may cache.
type Converter interface {
	// FromConnect serialises a value; a nil value gives nil bytes (a
	// tombstone, for values).
	FromConnect(ctx context.Context, topic string, s *Schema, v any) ([]byte, error)
	// ToConnect deserialises bytes; nil bytes give a nil value. The
	// schema is nil when the format carries none (schemaless JSON,
	// strings are described as optional strings).
	ToConnect(ctx context.Context, topic string, b []byte) (*Schema, any, error)
}

// ConverterEnv is what a converter factory gets besides its config.
type ConverterEnv struct {
	// IsKey says whether the converter is for keys.
	IsKey bool
	// Registry is the server's schema registry (nil when none is
	// configured); a converter given schema.registry.url uses that
	// instead.
	Registry SchemaRegistry
}

// ConverterClass is a converter in the Plugins registry. Its factory gets
// the converter's own keys (key.converter.* or value.converter.* with the
// prefix removed).
type ConverterClass struct {
	Name    string
	Aliases []string
	New     func(cfg map[string]string, env ConverterEnv) (Converter, error)
}

// Transform is a single message transform (SMT). A transform is
// configured once per connector and used by one goroutine at a time.
type Transform interface {
	// Apply returns the transformed record, or nil to drop it. It may
	// return r itself, modified, or a new record.
	Apply(r *Record) (*Record, error)
}

// TransformClass is a transform in the Plugins registry. Its factory gets
// the transform's own keys (transforms.<alias>.* with the prefix removed,
// type excluded); Spec, when set, validates them.
type TransformClass struct {
	Name    string
	Aliases []string
	Spec    *Spec
	New     func(cfg *Config) (Transform, error)
}

// Plugins is the registry of connector classes, converters and transforms
// the runtime knows. It is built at start-up and passed in (there is no
// global registry); other packages add their classes with the Add methods.
// A Plugins is safe for concurrent use.
type Plugins struct {
	mu         sync.RWMutex
	classes    map[string]*Class
	converters map[string]*ConverterClass
	transforms map[string]*TransformClass
}

// NewPlugins returns a registry holding the runtime's built-in converters
// and transforms, and no connector classes.
func NewPlugins() *Plugins {
	p := &Plugins{
		classes:    map[string]*Class{},
		converters: map[string]*ConverterClass{},
		transforms: map[string]*TransformClass{},
	}
	addBuiltinConverters(p)
	addBuiltinTransforms(p)
	return p
}

// AddClass registers a connector class under its name and aliases.
func (p *Plugins) AddClass(c *Class) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range append([]string{c.Name}, c.Aliases...) {
		p.classes[n] = c
	}
}

// AddConverter registers a converter under its name and aliases.
func (p *Plugins) AddConverter(c *ConverterClass) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range append([]string{c.Name}, c.Aliases...) {
		p.converters[n] = c
	}
}

// AddTransform registers a transform under its name and aliases.
func (p *Plugins) AddTransform(t *TransformClass) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range append([]string{t.Name}, t.Aliases...) {
		p.transforms[n] = t
	}
}

// Class finds a connector class; an unknown name is a *ConfigError naming
// the accepted classes.
func (p *Plugins) Class(name string) (*Class, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if c, ok := p.classes[strings.TrimSpace(name)]; ok {
		return c, nil
	}
	return nil, &ConfigError{Key: "connector.class", Msg: fmt.Sprintf("unknown connector class %q; accepted classes: %s", name, canonicalNames(p.classes, func(c *Class) string { return c.Name }))}
}

// Converter finds a converter class.
func (p *Plugins) Converter(key, name string) (*ConverterClass, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if c, ok := p.converters[strings.TrimSpace(name)]; ok {
		return c, nil
	}
	return nil, &ConfigError{Key: key, Msg: fmt.Sprintf("unknown converter class %q; accepted classes: %s", name, canonicalNames(p.converters, func(c *ConverterClass) string { return c.Name }))}
}

// Transform finds a transform class.
func (p *Plugins) Transform(key, name string) (*TransformClass, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if t, ok := p.transforms[strings.TrimSpace(name)]; ok {
		return t, nil
	}
	return nil, &ConfigError{Key: key, Msg: fmt.Sprintf("unknown transform class %q; accepted classes: %s", name, canonicalNames(p.transforms, func(t *TransformClass) string { return t.Name }))}
}

func canonicalNames[T any](m map[string]T, name func(T) string) string {
	seen := map[string]bool{}
	var out []string
	for _, v := range m {
		if n := name(v); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// SchemaRegistry is the schema registry converters register and look up
// schemas in: the server's embedded registry or a client of a remote one.
type SchemaRegistry = registry.Registry
