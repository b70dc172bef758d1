package server

import (
	"regexp"
	"strings"
)

// secretSuffixes name connector and client properties whose values are
// secrets; ksqlDB and Kafka Connect mask the same families.
var secretSuffixes = []string{"password", "secret", ".key", "user.info", "sasl.jaas.config", "credentials", "token"}

// IsSecretKey reports whether a property's value must never be shown.
func IsSecretKey(key string) bool {
	k := strings.ToLower(strings.Trim(key, "`'\" "))
	for _, s := range secretSuffixes {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// MaskedValue replaces a secret in output, as ksqlDB's QueryMask does.
const MaskedValue = "'[string]'"

// propRE matches "'name' = 'value'" and "name = 'value'" pairs in WITH
// clauses and connector configs; values may contain doubled quotes.
var propRE = regexp.MustCompile("(?i)(['\"`]?)([a-z0-9_.\\-]+)(['\"`]?)(\\s*=\\s*)'((?:[^']|'')*)'")

// MaskSecrets returns sql with the values of secret properties replaced,
// so that statements can be echoed in responses and logs.
func MaskSecrets(sql string) string {
	if !strings.Contains(sql, "=") {
		return sql
	}
	return propRE.ReplaceAllStringFunc(sql, func(m string) string {
		sub := propRE.FindStringSubmatch(m)
		if !IsSecretKey(sub[2]) {
			return m
		}
		return sub[1] + sub[2] + sub[3] + sub[4] + MaskedValue
	})
}

// maskConfig returns a copy of cfg with secret values masked.
func maskConfig(cfg map[string]string) map[string]string {
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		if IsSecretKey(k) {
			v = "[hidden]"
		}
		out[k] = v
	}
	return out
}
