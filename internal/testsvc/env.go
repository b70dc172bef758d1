package testsvc

import (
	"context"
	"strconv"
	"strings"
)

// Env returns the shell variables describing running services, in the
// form `sluice-testsvc env` prints.
func Env(sts map[Name]*State) []string {
	var out []string
	for _, n := range Names() {
		st, ok := sts[n]
		if !ok {
			continue
		}
		switch n {
		case PostgresName:
			pg := pgFromState(st)
			out = append(out,
				"SLUICE_PG_DSN="+st.URL,
				"SLUICE_PG_HOST="+pg.Host,
				"SLUICE_PG_PORT="+strconv.Itoa(pg.Port),
				"SLUICE_PG_USER="+pg.User,
				"SLUICE_PG_PASSWORD="+pg.Password)
		case KafkaName:
			out = append(out, "SLUICE_KAFKA_BOOTSTRAP="+st.URL)
		case SearchName:
			out = append(out, "SLUICE_SEARCH_URL="+st.URL)
		case ElasticName:
			out = append(out, "SLUICE_ELASTIC_URL="+st.URL)
		case MongoName:
			out = append(out, "SLUICE_MONGO_URI="+st.URL)
		}
	}
	return out
}

// shellQuote quotes v for a POSIX shell.
func shellQuote(v string) string {
	if v != "" && strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@=,", r))
	}) < 0 {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// Exports returns Env as `export K=V` lines ready for eval.
func Exports(sts map[Name]*State) []string {
	env := Env(sts)
	for i, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		env[i] = "export " + k + "=" + shellQuote(v)
	}
	return env
}

// Endpoints is how the demo and tools reach the services, one field per
// service; a field is empty when its service was not started.
type Endpoints struct {
	// Postgres describes the cluster; nil when it is not running.
	Postgres *PG
	// KafkaBootstrap is a host:port bootstrap address.
	KafkaBootstrap string
	// SearchURL is the OpenSearch base URL, http://host:port.
	SearchURL string
	// MongoURI is a mongodb:// URI for FerretDB.
	MongoURI string
}

// EndpointsOf collects the addresses in the states Start returns.
func EndpointsOf(sts map[Name]*State) Endpoints {
	var e Endpoints
	if st, ok := sts[PostgresName]; ok {
		e.Postgres = pgFromState(st)
	}
	if st, ok := sts[KafkaName]; ok {
		e.KafkaBootstrap = st.URL
	}
	if st, ok := sts[SearchName]; ok {
		e.SearchURL = st.URL
	}
	if st, ok := sts[MongoName]; ok {
		e.MongoURI = st.URL
	}
	return e
}

// StartAll starts (or reuses) every service and returns their endpoints.
// It is the one call the demo needs.
func StartAll(ctx context.Context, o Options) (Endpoints, error) {
	sts, err := Start(ctx, o)
	return EndpointsOf(sts), err
}
