package console

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// mount serves the console the way the server is meant to: under /console/
// with the prefix stripped.
func mount() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/console/", http.StripPrefix("/console", Handler()))
	return mux
}

func get(t *testing.T, h http.Handler, method, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Result()
}

func TestServesAssets(t *testing.T) {
	h := mount()
	for _, tc := range []struct {
		path, status, contentType string
	}{
		{"/console/", "200", "text/html; charset=utf-8"},
		{"/console/style.css", "200", "text/css; charset=utf-8"},
		{"/console/app.js", "200", "text/javascript; charset=utf-8"},
		{"/console/api.js", "200", "text/javascript; charset=utf-8"},
		{"/console/topology.js", "200", "text/javascript; charset=utf-8"},
		{"/console/missing.js", "404", "text/plain; charset=utf-8"},
		// FileServer sends index.html's own name back to the directory.
		{"/console/index.html", "301", ""},
		{"/console", "307", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp := get(t, h, http.MethodGet, tc.path)
			if got := resp.Status[:3]; got != tc.status {
				t.Fatalf("status %s, want %s", resp.Status, tc.status)
			}
			if tc.contentType != "" && resp.Header.Get("Content-Type") != tc.contentType {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.contentType)
			}
			if tc.status == "200" {
				if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
					t.Errorf("Content-Security-Policy %q", csp)
				}
				if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("missing nosniff")
				}
			}
		})
	}
}

func TestRedirectKeepsMountPoint(t *testing.T) {
	resp := get(t, mount(), http.MethodGet, "/console")
	if loc := resp.Header.Get("Location"); loc != "/console/" {
		t.Fatalf("Location %q, want /console/", loc)
	}
	// Without the mux's own redirect, the handler's relative redirect
	// still lands on the slashed path.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/ui", nil)
	http.StripPrefix("/ui", Handler()).ServeHTTP(rec, req)
	if loc := rec.Header().Get("Location"); loc != "ui/" {
		t.Fatalf("Location %q, want ui/", loc)
	}
}

func TestRejectsWrites(t *testing.T) {
	resp := get(t, mount(), http.MethodPost, "/console/app.js")
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("status %s", resp.Status)
	}
}

// TestHTMLReferencesAreRelative walks index.html and fails on any URL that
// would leave the console's own mount point: an absolute path breaks a
// mount under a prefix, and another origin breaks the no-download rule.
func TestHTMLReferencesAreRelative(t *testing.T) {
	resp := get(t, mount(), http.MethodGet, "/console/")
	doc, err := html.Parse(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				switch a.Key {
				case "src", "href", "action", "formaction", "poster", "data":
					refs = append(refs, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(refs) < 2 {
		t.Fatalf("found only %v; the page should load its stylesheet and script", refs)
	}
	for _, ref := range refs {
		u, err := url.Parse(ref)
		if err != nil {
			t.Errorf("%q: %v", ref, err)
			continue
		}
		if u.Scheme == "data" {
			continue
		}
		if u.Scheme != "" || u.Host != "" || strings.HasPrefix(ref, "/") {
			t.Errorf("%q is not a relative same-origin URL", ref)
			continue
		}
		if r := get(t, mount(), http.MethodGet, "/console/"+strings.TrimPrefix(u.Path, "./")); r.StatusCode != http.StatusOK {
			t.Errorf("%q: %s", ref, r.Status)
		}
	}
}

var (
	importRE = regexp.MustCompile(`(?m)^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"`)
	urlRE    = regexp.MustCompile(`(?i)\b(?:https?:|wss?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
)

// TestScriptsStayOnOrigin checks that the modules import only each other
// and name no other host: the console must run with no network but the
// server's.
func TestScriptsStayOnOrigin(t *testing.T) {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		t.Fatal(err)
	}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := sub.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		src := string(b)
		for _, m := range urlRE.FindAllString(src, -1) {
			// The SVG namespace is an identifier, never fetched.
			if m != "http://www.w3.org" {
				t.Errorf("%s names another host: %s", p, m)
			}
		}
		if strings.HasSuffix(p, ".js") {
			for _, m := range importRE.FindAllStringSubmatch(src, -1) {
				spec := m[1]
				if !strings.HasPrefix(spec, "./") {
					t.Errorf("%s imports %q; only ./ modules are served", p, spec)
					continue
				}
				if _, err := fs.Stat(sub, strings.TrimPrefix(spec, "./")); err != nil {
					t.Errorf("%s imports %q: %v", p, spec, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
