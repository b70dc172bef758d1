package connect

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// KeyType is the type of a config value.
type KeyType int

const (
	TypeString KeyType = iota
	TypeInt
	TypeLong
	TypeDouble
	TypeBool
	// TypeList is a comma-separated list; blanks around items are trimmed.
	TypeList
	// TypePassword is a string that is masked in every output.
	TypePassword
	// TypeClass names a Java class (a converter, a transform).
	TypeClass
)

var keyTypeNames = [...]string{"STRING", "INT", "LONG", "DOUBLE", "BOOLEAN", "LIST", "PASSWORD", "CLASS"}

func (t KeyType) String() string {
	if int(t) < len(keyTypeNames) {
		return keyTypeNames[t]
	}
	return fmt.Sprintf("KeyType(%d)", int(t))
}

// Key declares one config key, as Kafka Connect's ConfigDef does.
type Key struct {
	Name string
	Type KeyType
	// Default is the value when the key is absent; Required keys have
	// none.
	Default  string
	Required bool
	Doc      string
	// Allowed, when set, lists the accepted values (compared without
	// regard to case; the canonical spelling is stored).
	Allowed []string
	// Aliases are other spellings of the key: Debezium 1.x names such as
	// table.whitelist for table.include.list. A config may use either.
	Aliases []string
	// Ignored marks keys Sluice accepts but has no use for (they only
	// matter to a JVM Kafka Connect); using one logs a warning.
	Ignored bool
	// Secret masks the value in DESCRIBE output and logs. Keys named
	// *.password, *.secret or *.key are masked whatever their spec says.
	Secret bool
}

// Spec is a connector's (or a transform's, or a converter's) declared
// config: it drives validation, error messages and DESCRIBE.
type Spec struct {
	Keys []Key
	// IgnoredPrefixes accepts, with a warning, any key under one of these
	// prefixes (database.history., schema.history., ...).
	IgnoredPrefixes []string
	// OpenPrefixes accepts any key under one of these prefixes without a
	// warning: they are read by something else (transforms.<name>., a
	// converter's own keys).
	OpenPrefixes []string
}

// NewSpec returns a spec with the given keys.
func NewSpec(keys ...Key) *Spec { return &Spec{Keys: keys} }

// With returns a new spec holding s's keys and prefixes and then other's.
func (s *Spec) With(other *Spec) *Spec {
	out := &Spec{}
	for _, x := range []*Spec{s, other} {
		if x == nil {
			continue
		}
		out.Keys = append(out.Keys, x.Keys...)
		out.IgnoredPrefixes = append(out.IgnoredPrefixes, x.IgnoredPrefixes...)
		out.OpenPrefixes = append(out.OpenPrefixes, x.OpenPrefixes...)
	}
	return out
}

func (s *Spec) lookup(name string) (*Key, bool) {
	for i := range s.Keys {
		k := &s.Keys[i]
		if k.Name == name {
			return k, false
		}
		for _, a := range k.Aliases {
			if a == name {
				return k, true
			}
		}
	}
	return nil, false
}

// ErrConfig is matched (errors.Is) by every *ConfigError.
var ErrConfig = errors.New("invalid connector config")

// ConfigError reports a bad config key or value. It names the key and,
// where it helps, the accepted values.
type ConfigError struct {
	Key string
	Msg string
}

func (e *ConfigError) Error() string {
	if e.Key == "" {
		return e.Msg
	}
	return fmt.Sprintf("Invalid value for configuration %s: %s", e.Key, e.Msg)
}

// Is makes errors.Is(err, ErrConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// Config is a validated config: canonical key names mapped to values, with
// defaults filled in.
type Config struct {
	spec     *Spec
	values   map[string]string
	raw      map[string]string
	Warnings []string
}

// Validate checks raw against the spec: unknown keys, bad types, values
// outside Allowed and missing required keys are errors naming the key;
// aliases are folded into their canonical key and ignored keys produce a
// warning.
func (s *Spec) Validate(raw map[string]string) (*Config, error) {
	c := &Config{spec: s, values: map[string]string{}, raw: map[string]string{}}
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		v := raw[name]
		c.raw[name] = v
		k, alias := s.lookup(name)
		if k == nil {
			switch {
			case hasPrefix(name, s.OpenPrefixes):
				c.values[name] = v
			case hasPrefix(name, s.IgnoredPrefixes):
				c.Warnings = append(c.Warnings, fmt.Sprintf("configuration %s is not used by Sluice (it only matters to a JVM Kafka Connect) and is ignored", name))
			default:
				errs = append(errs, &ConfigError{Key: name, Msg: "unknown configuration key"})
			}
			continue
		}
		if k.Ignored {
			c.Warnings = append(c.Warnings, fmt.Sprintf("configuration %s is not used by Sluice and is ignored", name))
		}
		if alias {
			if _, both := raw[k.Name]; both {
				// The current spelling wins, as Debezium's fallback does.
				continue
			}
		}
		norm, err := k.check(name, v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.values[k.Name] = norm
	}
	for _, k := range s.Keys {
		if _, ok := c.values[k.Name]; ok {
			continue
		}
		if k.Required {
			errs = append(errs, &ConfigError{Key: k.Name, Msg: "missing required configuration with no default value"})
			continue
		}
		if k.Default != "" {
			c.values[k.Name] = k.Default
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

func hasPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (k *Key) check(name, v string) (string, error) {
	t := strings.TrimSpace(v)
	switch k.Type {
	case TypeInt, TypeLong:
		if _, err := strconv.ParseInt(t, 10, 64); err != nil {
			return "", &ConfigError{Key: name, Msg: fmt.Sprintf("%q is not a valid %s", v, strings.ToLower(k.Type.String()))}
		}
		v = t
	case TypeDouble:
		if _, err := strconv.ParseFloat(t, 64); err != nil {
			return "", &ConfigError{Key: name, Msg: fmt.Sprintf("%q is not a number", v)}
		}
		v = t
	case TypeBool:
		switch strings.ToLower(t) {
		case "true", "false":
			v = strings.ToLower(t)
		default:
			return "", &ConfigError{Key: name, Msg: fmt.Sprintf("%q is not a boolean (expected true or false)", v)}
		}
	}
	if len(k.Allowed) > 0 {
		for _, a := range k.Allowed {
			if strings.EqualFold(a, t) {
				return a, nil
			}
		}
		return "", &ConfigError{Key: name, Msg: fmt.Sprintf("%q is not one of the accepted values: %s", v, strings.Join(k.Allowed, ", "))}
	}
	return v, nil
}

// String returns a key's value ("" when unset with no default).
func (c *Config) String(name string) string { return c.values[name] }

// Has reports whether the key is set or has a default.
func (c *Config) Has(name string) bool { _, ok := c.values[name]; return ok }

// Int returns an integer key's value (validated by the spec).
func (c *Config) Int(name string) int64 {
	n, _ := strconv.ParseInt(c.values[name], 10, 64)
	return n
}

// Bool returns a boolean key's value.
func (c *Config) Bool(name string) bool { return c.values[name] == "true" }

// List returns a list key's items, trimmed, without empty ones.
func (c *Config) List(name string) []string { return SplitList(c.values[name]) }

// Prefixed returns the keys under prefix with the prefix removed.
func (c *Config) Prefixed(prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range c.values {
		if strings.HasPrefix(k, prefix) {
			out[strings.TrimPrefix(k, prefix)] = v
		}
	}
	return out
}

// Raw returns the config as the user wrote it.
func (c *Config) Raw() map[string]string { return c.raw }

// Masked returns the config as the user wrote it with secrets masked.
func (c *Config) Masked() map[string]string { return MaskSecrets(c.spec, c.raw) }

// SplitList splits a comma-separated list, trimming items and dropping
// empty ones.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Mask is what a secret's value is replaced with, as Kafka Connect prints
// passwords.
const Mask = "[hidden]"

// IsSecretKey reports whether a key name holds a secret by its name alone.
func IsSecretKey(name string) bool {
	n := strings.ToLower(name)
	for _, suf := range []string{"password", "secret", ".key", "key.password", "credentials", "token"} {
		if strings.HasSuffix(n, suf) {
			return !strings.HasSuffix(n, "schema.key") && n != "message.key"
		}
	}
	return false
}

// MaskSecrets returns a copy of cfg with secret values replaced by Mask:
// keys the spec marks Secret or TypePassword and keys IsSecretKey names.
func MaskSecrets(spec *Spec, cfg map[string]string) map[string]string {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		secret := IsSecretKey(k)
		if spec != nil {
			if key, _ := spec.lookup(k); key != nil && (key.Secret || key.Type == TypePassword) {
				secret = true
			}
		}
		if secret {
			v = Mask
		}
		out[k] = v
	}
	return out
}

func joinErrors(errs []error) error { return errors.Join(errs...) }
