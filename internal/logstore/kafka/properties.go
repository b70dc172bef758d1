package kafka

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// StreamsPrefix marks the Kafka client properties in a ksqlDB server
// configuration: ksql.streams.security.protocol configures the clients
// ksqlDB runs its queries with. A prefixed property wins over the same
// property unprefixed, as in ksqlDB.
const StreamsPrefix = "ksql.streams."

// Login modules a client's sasl.jaas.config names, by mechanism family.
const (
	plainLoginModule = "org.apache.kafka.common.security.plain.PlainLoginModule"
	scramLoginModule = "org.apache.kafka.common.security.scram.ScramLoginModule"
)

// FromProperties maps a Java Kafka client's configuration, as a ksqlDB
// user writes it (bootstrap.servers, security.protocol, sasl.mechanism,
// sasl.jaas.config, ssl.truststore.*, ssl.keystore.*, ...; each also with
// the ksql.streams. prefix), to Options. Errors wrap ErrInvalidOptions,
// name the property at fault and never quote a secret. The logger becomes
// Options.Logger and receives warnings about settings Kafka would ignore.
func FromProperties(props map[string]string, logger *slog.Logger) (Options, error) {
	if logger == nil {
		logger = slog.Default()
	}
	lookup := func(k string) (string, bool) {
		if v, ok := props[StreamsPrefix+k]; ok {
			return strings.TrimSpace(v), true
		}
		v, ok := props[k]
		return strings.TrimSpace(v), ok
	}
	get := func(k string) string { v, _ := lookup(k); return v }
	bad := func(format string, args ...any) (Options, error) {
		return Options{}, fmt.Errorf("%w: %s", ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	o := Options{Logger: logger, ClientID: get("client.id")}
	for _, s := range strings.Split(get("bootstrap.servers"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.BootstrapServers = append(o.BootstrapServers, s)
		}
	}

	protocol := strings.ToUpper(get("security.protocol"))
	var useSASL, useTLS bool
	switch protocol {
	case "", "PLAINTEXT":
	case "SSL":
		useTLS = true
	case "SASL_PLAINTEXT":
		useSASL = true
	case "SASL_SSL":
		useSASL, useTLS = true, true
	default:
		return bad("security.protocol %q is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", protocol)
	}
	if protocol == "" {
		protocol = "PLAINTEXT"
	}

	mech := strings.ToUpper(get("sasl.mechanism"))
	if !useSASL {
		if mech != "" || get("sasl.jaas.config") != "" {
			// Kafka clients ignore SASL settings on a non-SASL protocol;
			// so does Sluice, but it says so, since the broker will then
			// most likely drop the connection.
			logger.Warn("kafka: SASL settings are ignored because security.protocol is not SASL_PLAINTEXT or SASL_SSL",
				"security.protocol", protocol)
		}
	} else {
		switch mech {
		case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		case "":
			return bad("security.protocol=%s needs sasl.mechanism: Kafka's default, GSSAPI (Kerberos), is not supported; set %s, %s or %s",
				protocol, SASLPlain, SASLScramSHA256, SASLScramSHA512)
		default:
			return bad("sasl.mechanism %q is not supported (want %s, %s or %s)", mech, SASLPlain, SASLScramSHA256, SASLScramSHA512)
		}
		o.SASLMechanism = mech
		if jaas := get("sasl.jaas.config"); jaas != "" {
			module, opts, err := parseJAAS(jaas)
			if err != nil {
				return bad("sasl.jaas.config: %v", err)
			}
			want := scramLoginModule
			if mech == SASLPlain {
				want = plainLoginModule
			}
			switch module {
			case want:
			case plainLoginModule, scramLoginModule:
				// Both modules only hand the username and password to the
				// mechanism, so Kafka clients accept either; say so, as it
				// is most likely a slip.
				logger.Warn("kafka: sasl.jaas.config names a login module that does not match sasl.mechanism; its username and password are used",
					"module", module, "sasl.mechanism", mech)
			default:
				return bad("sasl.jaas.config names login module %s, which gives no username and password; sasl.mechanism %s needs %s",
					module, mech, want)
			}
			o.SASLUsername, o.SASLPassword = opts["username"], opts["password"]
			if o.SASLUsername == "" || o.SASLPassword == "" {
				return bad("sasl.jaas.config for %s must set username and password", mech)
			}
		} else {
			// librdkafka's names, which confluent-kafka users know.
			o.SASLUsername, o.SASLPassword = get("sasl.username"), get("sasl.password")
			if o.SASLUsername == "" || o.SASLPassword == "" {
				return bad("sasl.mechanism %s needs sasl.jaas.config (%s required username=\"...\" password=\"...\";)",
					mech, map[bool]string{true: plainLoginModule, false: scramLoginModule}[mech == SASLPlain])
			}
		}
	}

	if useTLS {
		o.TLS = true
		if err := tlsFromProperties(&o, lookup); err != nil {
			return Options{}, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
		}
	}
	return o, nil
}

// tlsFromProperties reads ssl.* into o.
func tlsFromProperties(o *Options, lookup func(string) (string, bool)) error {
	get := func(k string) string { v, _ := lookup(k); return v }
	alg, set := lookup("ssl.endpoint.identification.algorithm")
	switch alg = strings.ToLower(alg); {
	case alg == "https":
	case alg == "":
		// Kafka's default is https; only an explicit empty value turns
		// the name check off.
		o.TLSNoHostnameCheck = set
	default:
		return fmt.Errorf("ssl.endpoint.identification.algorithm %q is not https or empty", alg)
	}

	tsType := strings.ToUpper(get("ssl.truststore.type"))
	switch tsType {
	case "", "JKS", "PKCS12", "PEM":
		// The store's content decides how it is read: keytool writes
		// PKCS12 by default since Java 9, whatever the file is called.
	default:
		return fmt.Errorf("ssl.truststore.type %q is not JKS, PKCS12 or PEM", tsType)
	}
	o.TLSCAFile = get("ssl.truststore.location")
	o.TLSCAPassword = get("ssl.truststore.password")
	o.TLSCAPEM = get("ssl.truststore.certificates")
	if o.TLSCAPEM != "" && tsType != "PEM" {
		return errors.New("ssl.truststore.certificates needs ssl.truststore.type=PEM")
	}

	ksType := strings.ToUpper(get("ssl.keystore.type"))
	loc := get("ssl.keystore.location")
	o.TLSKeyPassword = get("ssl.key.password")
	switch ksType {
	case "PEM":
		if loc != "" {
			o.TLSCertFile, o.TLSKeyFile = loc, loc
		}
		o.TLSCertPEM, o.TLSKeyPEM = get("ssl.keystore.certificate.chain"), get("ssl.keystore.key")
		if (o.TLSCertPEM == "") != (o.TLSKeyPEM == "") {
			return errors.New("ssl.keystore.certificate.chain and ssl.keystore.key must be set together")
		}
	case "", "JKS", "PKCS12":
		if get("ssl.keystore.key") != "" || get("ssl.keystore.certificate.chain") != "" {
			return errors.New("ssl.keystore.key and ssl.keystore.certificate.chain need ssl.keystore.type=PEM")
		}
		o.TLSKeyStoreFile, o.TLSKeyStorePassword = loc, get("ssl.keystore.password")
	default:
		return fmt.Errorf("ssl.keystore.type %q is not JKS, PKCS12 or PEM", ksType)
	}
	return nil
}

// parseJAAS reads a one-module JAAS configuration, as a Kafka client's
// sasl.jaas.config holds it:
//
//	<login module class> <flag> [<name>=<value> ...];
//
// Values are bare words or double-quoted strings with backslash escapes,
// as Java's StreamTokenizer (behind Kafka's JaasConfig) reads them.
// Errors never quote values: one of them is a password.
func parseJAAS(s string) (module string, opts map[string]string, err error) {
	toks, err := jaasTokens(s)
	if err != nil {
		return "", nil, err
	}
	if len(toks) < 3 || toks[len(toks)-1] != (jaasToken{text: ";"}) {
		return "", nil, errors.New(`want "<LoginModule> required name=\"value\" ...;"`)
	}
	toks = toks[:len(toks)-1]
	module = toks[0].text
	if toks[0].quoted || module == "=" || module == ";" {
		return "", nil, errors.New("does not start with a login module class name")
	}
	switch flag := strings.ToLower(toks[1].text); flag {
	case "required", "requisite", "sufficient", "optional":
	default:
		return "", nil, fmt.Errorf("login module flag %q is not required, requisite, sufficient or optional", toks[1].text)
	}
	opts = map[string]string{}
	rest := toks[2:]
	for len(rest) > 0 {
		if len(rest) < 3 || rest[1] != (jaasToken{text: "="}) || rest[0].quoted {
			if rest[0].text == ";" {
				return "", nil, errors.New("holds more than one login module; a Kafka client takes one")
			}
			return "", nil, fmt.Errorf("option %d is not name=value", len(opts)+1)
		}
		opts[rest[0].text] = rest[2].text
		rest = rest[3:]
	}
	return module, opts, nil
}

type jaasToken struct {
	text   string
	quoted bool
}

func jaasTokens(s string) ([]jaasToken, error) {
	var toks []jaasToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '=' || c == ';':
			toks = append(toks, jaasToken{text: string(c)})
			i++
		case c == '"':
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '"' {
					closed = true
					i++
					break
				}
				if c == '\\' && i+1 < len(s) {
					i++
					switch e := s[i]; e {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					default:
						b.WriteByte(e)
					}
					i++
					continue
				}
				b.WriteByte(c)
				i++
			}
			if !closed {
				return nil, fmt.Errorf("quoted value %d is not closed", len(toks)/3)
			}
			toks = append(toks, jaasToken{text: b.String(), quoted: true})
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n=;\"", rune(s[j])) {
				j++
			}
			toks = append(toks, jaasToken{text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}
