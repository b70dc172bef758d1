package server

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// The properties a node reads, with ksqlDB's names where ksqlDB has one.
const (
	PropListeners = "listeners"
	// PropAdvertisedListener and PropInternalListener name the URL other
	// servers of the service reach this one at, for forwarded pull
	// queries; Sluice serves those on its one listener.
	PropAdvertisedListener = "ksql.advertised.listener"
	PropInternalListener   = "ksql.internal.listener"
	PropServiceID          = "ksql.service.id"
	PropStateDir           = "ksql.streams.state.dir"
	PropOffsetReset        = "ksql.streams.auto.offset.reset"
	PropSchemaRegistry     = "ksql.schema.registry.url"
	PropQueriesFile        = "ksql.queries.file"
	PropLogBackend         = "sluice.log.backend"
	PropAuthMethod         = "authentication.method"
	PropAuthRealm          = "authentication.realm"
	PropAuthSkipPaths      = "authentication.skip.paths"
	PropAuthUsersFile      = "sluice.authentication.users.file"
	PropAuthUsers          = "sluice.authentication.users"
	PropTLSCert            = "ssl.keystore.location"
	PropTLSKey             = "ssl.key.location"
	PropMaxBodyBytes       = "sluice.request.max.bytes"
	PropMaxStatementSize   = "sluice.statement.max.bytes"
	PropSyncMode           = "sluice.log.sync"
)

// LoadProperties reads a Java properties file as ksqlDB's
// ksql-server.properties: key=value or key: value lines, '#' and '!'
// comments, backslash line continuations.
func LoadProperties(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	props, err := ParseProperties(f)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return props, nil
}

// ParseProperties parses the format LoadProperties reads.
func ParseProperties(r io.Reader) (map[string]string, error) {
	props := map[string]string{}
	sc := bufio.NewScanner(r)
	var pending string
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t")
		if pending == "" && (line == "" || line[0] == '#' || line[0] == '!') {
			continue
		}
		if strings.HasSuffix(line, "\\") && !strings.HasSuffix(line, "\\\\") {
			pending += strings.TrimSuffix(line, "\\")
			continue
		}
		line = pending + line
		pending = ""
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			props[strings.TrimSpace(line)] = ""
			continue
		}
		props[strings.TrimSpace(line[:i])] = strings.TrimSpace(line[i+1:])
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if pending != "" {
		props[strings.TrimSpace(pending)] = ""
	}
	return props, nil
}

func intProp(props map[string]string, name string, def int64) (int64, error) {
	v, ok := props[name]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("config: %s must be a positive integer, got %q", name, v)
	}
	return n, nil
}
