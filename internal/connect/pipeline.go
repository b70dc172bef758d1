package connect

import (
	"context"
	"fmt"
	"strings"
)

// pipeline is a connector's transforms and converters.
type pipeline struct {
	transforms []namedTransform
	key, value Converter
}

type namedTransform struct {
	alias string
	t     Transform
}

// pipeline builds the converters and transforms a config names, checking
// each transform's keys against its spec.
func (rt *Runtime) pipeline(cfg *Config) (*pipeline, error) {
	p := &pipeline{}
	var err error
	if p.key, err = rt.converter(cfg, "key.converter", rt.opts.KeyConverter, true); err != nil {
		return nil, err
	}
	if p.value, err = rt.converter(cfg, "value.converter", rt.opts.ValueConverter, false); err != nil {
		return nil, err
	}
	for _, alias := range cfg.List("transforms") {
		prefix := "transforms." + alias + "."
		typ := cfg.String(prefix + "type")
		if typ == "" {
			return nil, &ConfigError{Key: prefix + "type", Msg: fmt.Sprintf("missing class for transform %s", alias)}
		}
		tc, err := rt.opts.Plugins.Transform(prefix+"type", typ)
		if err != nil {
			return nil, err
		}
		own := cfg.Prefixed(prefix)
		delete(own, "type")
		// Predicates are not supported, but configs that use them name
		// them per transform; accept the keys.
		delete(own, "predicate")
		delete(own, "negate")
		spec := tc.Spec
		if spec == nil {
			spec = &Spec{OpenPrefixes: []string{""}}
		}
		tcfg, err := spec.Validate(own)
		if err != nil {
			return nil, prefixConfigError(err, prefix)
		}
		cfg.Warnings = append(cfg.Warnings, prefixWarnings(tcfg.Warnings, prefix)...)
		t, err := tc.New(tcfg)
		if err != nil {
			return nil, prefixConfigError(err, prefix)
		}
		p.transforms = append(p.transforms, namedTransform{alias: alias, t: t})
	}
	return p, nil
}

func (rt *Runtime) converter(cfg *Config, key, def string, isKey bool) (Converter, error) {
	class := cfg.String(key)
	if class == "" {
		class = def
		if v := rt.opts.ConverterConfig[key]; v != "" {
			class = v
		}
	}
	cc, err := rt.opts.Plugins.Converter(key, class)
	if err != nil {
		return nil, err
	}
	own := map[string]string{}
	for k, v := range rt.opts.ConverterConfig {
		if strings.HasPrefix(k, key+".") {
			own[strings.TrimPrefix(k, key+".")] = v
		}
	}
	for k, v := range cfg.Prefixed(key + ".") {
		own[k] = v
	}
	c, err := cc.New(own, ConverterEnv{IsKey: isKey, Registry: rt.opts.Registry})
	if err != nil {
		return nil, prefixConfigError(err, key+".")
	}
	return c, nil
}

// prefixConfigError puts a sub-config's prefix back on the key an error
// names, so that the user sees the key as written.
func prefixConfigError(err error, prefix string) error {
	if ce, ok := err.(*ConfigError); ok && ce.Key != "" && !strings.HasPrefix(ce.Key, prefix) {
		return &ConfigError{Key: prefix + ce.Key, Msg: ce.Msg}
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, prefixConfigError(e, prefix))
		}
		return joinErrors(out)
	}
	return err
}

func prefixWarnings(ws []string, prefix string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = strings.Replace(w, "configuration ", "configuration "+prefix, 1)
	}
	return out
}

// apply runs the transforms; a nil result means the record was dropped.
func (p *pipeline) apply(r *Record) (*Record, error) {
	for _, t := range p.transforms {
		var err error
		if r, err = t.t.Apply(r); err != nil {
			return nil, fmt.Errorf("transform %s: %w", t.alias, err)
		}
		if r == nil {
			return nil, nil
		}
	}
	return r, nil
}

// encode serialises a record's key and value.
func (p *pipeline) encode(ctx context.Context, r *Record) (key, value []byte, err error) {
	if r.Key != nil || r.KeySchema != nil {
		if key, err = p.key.FromConnect(ctx, r.Topic, r.KeySchema, r.Key); err != nil {
			return nil, nil, fmt.Errorf("key converter: %w", err)
		}
	}
	if value, err = p.value.FromConnect(ctx, r.Topic, r.ValueSchema, r.Value); err != nil {
		return nil, nil, fmt.Errorf("value converter: %w", err)
	}
	return key, value, nil
}
