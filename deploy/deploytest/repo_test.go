package deploytest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// repoRoot is the root of the Luminate repository (the parent module).
var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}()

func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// makefile is the part of the Makefile the tests compare against: variables and recipes.
type makefile struct {
	vars    map[string]string
	recipes map[string][]string // target -> recipe lines, without the leading tab
}

var makeVar = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*[:?]?=\s*(.*?)\s*$`)
var makeRule = regexp.MustCompile(`^([^\s:#=]+(?:\s+[^\s:#=]+)*)\s*:([^=]|$)`)

func parseMakefile(t *testing.T) makefile {
	t.Helper()
	mf := makefile{vars: map[string]string{}, recipes: map[string][]string{}}
	var current []string
	sc := bufio.NewScanner(strings.NewReader(readRepoFile(t, "Makefile")))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "\t") {
			for _, target := range current {
				mf.recipes[target] = append(mf.recipes[target], strings.TrimPrefix(line, "\t"))
			}
			continue
		}
		current = nil
		if m := makeVar.FindStringSubmatch(line); m != nil {
			mf.vars[m[1]] = m[2]
			continue
		}
		if m := makeRule.FindStringSubmatch(line); m != nil {
			current = strings.Fields(m[1])
		}
	}
	return mf
}

// binaries are built once per test run from the parent module, like `make tools` does.
var (
	binMu   sync.Mutex
	binDir  string
	binDone = map[string]error{}
	binOut  = map[string][]byte{}
)

// TestMain removes the binaries built by buildBinary.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary builds ./cmd/<name> of the parent module and returns the binary's path.
func buildBinary(t *testing.T, name string) string {
	t.Helper()
	binMu.Lock()
	defer binMu.Unlock()
	if binDir == "" {
		d, err := os.MkdirTemp("", "luminate-deploytest-")
		if err != nil {
			t.Fatal(err)
		}
		binDir = d
	}
	out := filepath.Join(binDir, name)
	err, done := binDone[name]
	if !done {
		cmd := exec.Command("go", "build", "-o", out, "./cmd/"+name)
		cmd.Dir = repoRoot
		binOut[name], err = cmd.CombinedOutput()
		binDone[name] = err
	}
	if err != nil {
		t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, binOut[name])
	}
	return out
}
