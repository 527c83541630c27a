package webui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// uiDir is the UI's source tree, relative to this package.
var uiDir = filepath.Join("..", "..", "ui")

// hashInputs are the inputs of the build, relative to ui/; keep in sync with HASH_INPUTS in
// ui/build.mjs.
var hashInputs = []string{"build.mjs", "package-lock.json", "package.json", "src", "tsconfig.json"}

// sourceHash recomputes build.mjs's hash: sha256 over "path\nsha256(content)\n" for every input
// file, sorted by path ("/"-separated, relative to ui/), with CRLF read as LF.
func sourceHash(t *testing.T) string {
	t.Helper()
	var files []string
	for _, in := range hashInputs {
		err := filepath.WalkDir(filepath.Join(uiDir, in), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(uiDir, p)
			files = append(files, filepath.ToSlash(rel))
			return err
		})
		if err != nil {
			t.Fatalf("reading the UI sources: %v", err)
		}
	}
	slices.Sort(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(uiDir, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))
		h.Write([]byte(f + "\n" + hex.EncodeToString(sum[:]) + "\n"))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

type buildInfo struct {
	SourceHash string            `json:"sourceHash"`
	Files      map[string]string `json:"files"`
}

func readBuildInfo(t *testing.T) buildInfo {
	t.Helper()
	b, err := fs.ReadFile(Dist(), "build.json")
	if err != nil {
		t.Fatalf("dist/build.json is missing: run `make ui`: %v", err)
	}
	var info buildInfo
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("dist/build.json: %v", err)
	}
	return info
}

// TestBuildIsFresh fails when the committed build (dist/) was made from other sources than
// ui/ holds now: someone changed the UI without running `make ui`.
func TestBuildIsFresh(t *testing.T) {
	if _, err := os.Stat(filepath.Join(uiDir, "package.json")); err != nil {
		t.Skipf("no UI sources at %s (%v): nothing to compare the build with", uiDir, err)
	}
	info := readBuildInfo(t)
	if got := sourceHash(t); got != info.SourceHash {
		t.Errorf("internal/webui/dist is out of date with ui/: built from %s, the sources hash to %s.\n"+
			"Run `make ui` (needs Node and npm) and commit internal/webui/dist.", info.SourceHash, got)
	}
}

// TestBuildIsIntact fails when a built file was edited by hand or a file is missing or extra:
// dist/ must be exactly what the build wrote.
func TestBuildIsIntact(t *testing.T) {
	info := readBuildInfo(t)
	seen := map[string]bool{}
	err := fs.WalkDir(Dist(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "build.json" {
			return err
		}
		seen[p] = true
		b, err := fs.ReadFile(Dist(), p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		if want, got := info.Files[p], "sha256:"+hex.EncodeToString(sum[:]); want != got {
			t.Errorf("dist/%s differs from what the build wrote (%s, now %s): run `make ui`", p, want, got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range info.Files {
		if !seen[name] {
			t.Errorf("dist/%s is listed in build.json but missing: run `make ui`", name)
		}
	}
}

// TestIndexLoadsBuiltFiles: the page refers to the bundle by the paths the server serves.
func TestIndexLoadsBuiltFiles(t *testing.T) {
	idx, ok := Lookup("")
	if !ok || !strings.HasPrefix(idx.ContentType, "text/html") {
		t.Fatalf("index: %v %q", ok, idx.ContentType)
	}
	for _, f := range []string{"app.js", "app.css"} {
		if !bytes.Contains(idx.Body, []byte(`"/ui/`+f+`"`)) {
			t.Errorf("index.html does not load /ui/%s", f)
		}
		if _, ok := Lookup(f); !ok {
			t.Errorf("%s is not embedded", f)
		}
	}
	if _, ok := Lookup("../webui.go"); ok {
		t.Error("Lookup resolved a path outside dist/")
	}
}
