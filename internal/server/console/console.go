// Package console owns Sluice's web console: a single-page app of
// hand-written HTML, CSS and JavaScript modules embedded in the binary, and
// the http.Handler that serves it.
//
// The console has no build step and loads nothing from outside the server.
// It talks only to the ksqlDB REST API on the same origin (/ksql,
// /query-stream, /close-query, /info, /healthcheck, /metrics), which it
// expects one path level above the console, so it is mounted like this:
//
//	mux.Handle("/console/", http.StripPrefix("/console", console.Handler()))
//	mux.Handle("GET /{$}", http.RedirectHandler("/console/", http.StatusFound))
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed assets
var assets embed.FS

// contentSecurityPolicy keeps the console to its own origin: scripts,
// styles and fetches may come only from the server, so a statement's or a
// row's text can never pull in or run anything else.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'"

// Handler serves the console's assets. It serves index.html at its root and
// uses only relative URLs, so it works under whatever prefix it is mounted
// at once that prefix is stripped.
func Handler() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		// The embed pattern above guarantees the directory exists; failing
		// here would mean the binary was built without it.
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "console assets missing: "+err.Error(), http.StatusInternalServerError)
		})
	}
	files := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "" {
			// Mounted at /console and asked for /console: without the
			// slash the page's relative URLs would resolve one level too
			// high, so send the browser to the slashed form. The Location
			// is relative to the request, whatever prefix it had;
			// http.Redirect would resolve it against the stripped path.
			w.Header().Set("Location", path.Base(strings.SplitN(r.RequestURI, "?", 2)[0])+"/")
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		// The assets change only with the binary; revalidating keeps an
		// upgraded server from running against a stale script.
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
