package testsvc

import (
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
