package server

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// BasicAuth is ksqlDB's authentication.method=BASIC: every request must
// carry the credentials of a known user, except paths listed in
// SkipPaths (authentication.skip.paths).
type BasicAuth struct {
	// Realm is sent in WWW-Authenticate (authentication.realm).
	Realm string
	// Users maps a user name to its password.
	Users map[string]string
	// SkipPaths are served without credentials, e.g. /healthcheck.
	SkipPaths []string
}

func (a *BasicAuth) enabled() bool { return a != nil && len(a.Users) > 0 }

// LoadUsers reads a JAAS PropertyFileLoginModule-style file, as ksqlDB's
// basic auth uses: one "user: password[,role...]" per line, '#' comments.
// A password may carry Jetty's "PLAIN:" prefix; hashed forms are refused
// rather than compared wrongly.
func LoadUsers(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	defer f.Close()
	return ParseUsers(f)
}

// ParseUsers parses the format LoadUsers reads.
func ParseUsers(r io.Reader) (map[string]string, error) {
	users := map[string]string{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "!") {
			continue
		}
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			name, rest, ok = strings.Cut(line, "=")
		}
		if !ok {
			return nil, fmt.Errorf("users file line %d: want \"user: password[,role]\"", n)
		}
		pw, _, _ := strings.Cut(strings.TrimSpace(rest), ",")
		pw = strings.TrimSpace(pw)
		switch {
		case strings.HasPrefix(pw, "PLAIN:"):
			pw = strings.TrimPrefix(pw, "PLAIN:")
		case strings.HasPrefix(pw, "MD5:"), strings.HasPrefix(pw, "CRYPT:"), strings.HasPrefix(pw, "OBF:"):
			return nil, fmt.Errorf("users file line %d: hashed passwords are not supported; use plain text", n)
		}
		users[strings.TrimSpace(name)] = pw
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	return users, nil
}

func (a *BasicAuth) wrap(next http.Handler) http.Handler {
	realm := a.Realm
	if realm == "" {
		realm = "KsqlServer-Props"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range a.SkipPaths {
			if r.URL.Path == p {
				next.ServeHTTP(w, r)
				return
			}
		}
		user, pw, ok := r.BasicAuth()
		if !ok || !a.check(user, pw) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", realm))
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "Unauthorized")
			return
		}
		// A pull query forwarded to another server goes with the
		// caller's credentials, as ksqlDB forwards the auth header.
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), credentialsKey{}, credentials{user, pw})))
	})
}

// credentialsKey keys the authenticated caller's credentials in a
// request's context.
type credentialsKey struct{}

type credentials struct{ user, password string }

// check compares hashes in constant time so a wrong password's length and
// prefix do not show in the response time.
func (a *BasicAuth) check(user, pw string) bool {
	want, ok := a.Users[user]
	if !ok {
		want = "\x00no such user"
	}
	h1 := sha256.Sum256([]byte(pw))
	h2 := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(h1[:], h2[:]) == 1 && ok
}
