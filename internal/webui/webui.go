// Package webui holds Luminate's web UI as built files, embedded in the binary so that serving
// it needs neither Node nor files on disk. The sources are in ui/ at the repository root;
// `make ui` rebuilds dist/ from them, and TestBuildIsFresh fails when the committed dist/ is
// older than its sources. The query server serves these files at /ui/ (queryserver/ui.go).
package webui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed dist
var dist embed.FS

// Dist is the build output: index.html, app.js, app.css, licenses.txt and build.json.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is embedded above; Sub fails only for an invalid name
	}
	return sub
}

// Asset is one file of the UI, ready to serve.
type Asset struct {
	Name        string
	ContentType string
	ETag        string // strong validator from the content, quoted
	Body        []byte
}

var assets = loadAssets()

func loadAssets() map[string]Asset {
	out := map[string]Asset{}
	err := fs.WalkDir(Dist(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(Dist(), p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		out[p] = Asset{Name: p, ContentType: contentType(p), ETag: `"` + hex.EncodeToString(sum[:12]) + `"`, Body: body}
		return nil
	})
	if err != nil {
		panic(err) // embedded files are always readable
	}
	return out
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json":
		return "application/json"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Lookup returns the asset for a path below /ui/: "" and "index.html" are the page itself.
// Paths are matched exactly (no directory listing, no "..": the names are the embedded ones).
func Lookup(name string) (Asset, bool) {
	name = strings.TrimPrefix(name, "/")
	if name == "" {
		name = "index.html"
	}
	a, ok := assets[name]
	return a, ok
}
