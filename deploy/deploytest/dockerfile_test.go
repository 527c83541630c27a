package deploytest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"golang.org/x/mod/semver"
)

// imageUID is the runtime user of the image (distroless "nonroot"); the pods' runAsUser and
// fsGroup use it.
const imageUID = 65532

// dockerfile is deploy/docker/Dockerfile parsed by BuildKit, with ARGs expanded per stage.
type dockerfile struct {
	stages   []instructions.Stage
	metaArgs map[string]string
}

func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "deploy", "docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("BuildKit parser: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("BuildKit parser warning: %s (line %d)", w.Short, w.Location.Start.Line)
	}
	var lint []string
	lnt := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		lint = append(lint, fmt.Sprintf("%s: %s (line %d)", rule, msg, loc[0].Start.Line))
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lnt)
	if err != nil {
		t.Fatalf("BuildKit instructions: %v", err)
	}
	for _, l := range lint {
		t.Errorf("BuildKit lint: %s", l)
	}
	df := dockerfile{stages: stages, metaArgs: map[string]string{}}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				df.metaArgs[kv.Key] = *kv.Value
			}
		}
	}
	return df
}

// stageArgs are the ARG defaults visible in stage s (global ARGs are not, unless redeclared;
// here only FROM lines use them).
func stageArgs(s instructions.Stage) map[string]string {
	args := map[string]string{}
	for _, c := range s.Commands {
		if a, ok := c.(*instructions.ArgCommand); ok {
			for _, kv := range a.Args {
				if kv.Value != nil {
					args[kv.Key] = *kv.Value
				}
			}
		}
	}
	return args
}

// expand substitutes ${VAR} and $VAR like the Dockerfile shell lexer does.
func expand(t *testing.T, word string, vars map[string]string) string {
	t.Helper()
	lex := shell.NewLex('\\')
	var env []string
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	out, _, err := lex.ProcessWord(word, shell.EnvsFromSlice(env))
	if err != nil {
		t.Fatalf("expand %q: %v", word, err)
	}
	return out
}

func (df dockerfile) stage(t *testing.T, name string) instructions.Stage {
	t.Helper()
	for _, s := range df.stages {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("Dockerfile has no stage %q", name)
	return instructions.Stage{}
}

// runs returns the shell command lines of the RUN instructions of s.
func runs(s instructions.Stage) []string {
	var out []string
	for _, c := range s.Commands {
		if r, ok := c.(*instructions.RunCommand); ok {
			out = append(out, strings.Join(r.CmdLine, " "))
		}
	}
	return out
}

// TestDockerfile: two stages; the build stage runs the Makefile's own build with the Makefile's
// ocb version on go.mod's Go; the runtime stage is distroless, non-root, and holds every binary
// and config the Kubernetes manifests use.
func TestDockerfile(t *testing.T) {
	df := parseDockerfile(t)
	mf := parseMakefile(t)
	if len(df.stages) != 2 || df.stages[0].Name != "build" || df.stages[1].Name != "runtime" {
		var names []string
		for _, s := range df.stages {
			names = append(names, s.Name)
		}
		t.Fatalf("stages %v, want [build runtime]", names)
	}
	build, runtime := df.stage(t, "build"), df.stage(t, "runtime")

	// Go: go.mod's language version, pinned to a patch release of the same minor version.
	base := expand(t, build.BaseName, df.metaArgs)
	m := regexp.MustCompile(`^golang:(\d+\.\d+\.\d+)-bookworm$`).FindStringSubmatch(base)
	if m == nil {
		t.Fatalf("build stage FROM %s, want golang:X.Y.Z-bookworm", base)
	}
	goMod := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(readRepoFile(t, "go.mod"))
	if goMod == nil {
		t.Fatal("go.mod has no go line")
	}
	if semver.MajorMinor("v"+m[1]) != semver.MajorMinor("v"+goMod[1]) || semver.Compare("v"+m[1], "v"+goMod[1]) < 0 {
		t.Errorf("build stage Go %s does not satisfy go.mod's go %s on the same minor version", m[1], goMod[1])
	}

	// ocb: the Makefile's version, module and install directory (bin/tools/builder), so that
	// `make build` in the image finds it and builds with exactly that ocb.
	args := stageArgs(build)
	if args["OCB_VERSION"] != mf.vars["OCB_VERSION"] || mf.vars["OCB_VERSION"] == "" {
		t.Errorf("Dockerfile OCB_VERSION %q, Makefile OCB_VERSION %q", args["OCB_VERSION"], mf.vars["OCB_VERSION"])
	}
	ocbRule := mf.recipes["$(OCB)"]
	if len(ocbRule) != 1 {
		t.Fatalf("Makefile rule $(OCB) has recipe %q, want one go install line", ocbRule)
	}
	installPkg := regexp.MustCompile(`go install (\S+)@\$\(OCB_VERSION\)`).FindStringSubmatch(ocbRule[0])
	if installPkg == nil || mf.vars["OCB"] != "$(TOOLS)/builder" || mf.vars["TOOLS"] != "$(CURDIR)/bin/tools" {
		t.Fatalf("Makefile installs ocb with %q into OCB=%q TOOLS=%q; the test knows go install PKG@$(OCB_VERSION) into $(CURDIR)/bin/tools/builder", ocbRule[0], mf.vars["OCB"], mf.vars["TOOLS"])
	}
	workdir := ""
	for _, c := range build.Commands {
		if w, ok := c.(*instructions.WorkdirCommand); ok {
			workdir = w.Path
		}
	}
	wantInstall := fmt.Sprintf("GOBIN=%s/bin/tools go install %s@${OCB_VERSION}", workdir, installPkg[1])
	buildRuns := runs(build)
	if !slices.ContainsFunc(buildRuns, func(r string) bool { return strings.Contains(r, wantInstall) }) {
		t.Errorf("build stage does not run %q (the Makefile's $(OCB) rule); RUNs: %q", wantInstall, buildRuns)
	}

	// The build itself is `make build`, whose recipe is ocb on builder-config.yaml plus `make
	// tools`; the Dockerfile adds only the schema tool.
	if !slices.ContainsFunc(buildRuns, func(r string) bool { return regexp.MustCompile(`(^|&&|;)\s*make build\s*($|&&|;)`).MatchString(r) }) {
		t.Errorf("build stage does not run `make build`; RUNs: %q", buildRuns)
	}
	if !slices.Contains(mf.recipes["build"], "$(OCB) --config builder-config.yaml") {
		t.Errorf("Makefile build recipe %q does not run $(OCB) --config builder-config.yaml", mf.recipes["build"])
	}
	if !strings.Contains(strings.Join(mf.recipes["build"], "\n"), "cp _build/luminate bin/luminate") {
		t.Errorf("Makefile build recipe %q does not produce bin/luminate", mf.recipes["build"])
	}
	built := map[string]string{"luminate": "make build (ocb)"}
	for _, line := range mf.recipes["tools"] {
		if rest, ok := strings.CutPrefix(line, "go build -o bin/ "); ok {
			for _, pkg := range strings.Fields(rest) {
				built[filepath.Base(pkg)] = "make tools (" + pkg + ")"
			}
		}
	}
	for _, r := range buildRuns {
		for _, m := range regexp.MustCompile(`go build -o bin/ ((?:\./cmd/\S+\s*)+)`).FindAllStringSubmatch(r, -1) {
			for _, pkg := range strings.Fields(m[1]) {
				if srcs, _ := filepath.Glob(filepath.Join(repoRoot, pkg, "*.go")); len(srcs) == 0 {
					t.Errorf("the Dockerfile builds %s, which has no Go files", pkg)
				}
				built[filepath.Base(pkg)] = "Dockerfile (" + pkg + ")"
			}
		}
	}
	var env = map[string]string{}
	for _, c := range build.Commands {
		if e, ok := c.(*instructions.EnvCommand); ok {
			for _, kv := range e.Env {
				env[kv.Key] = kv.Value
			}
		}
	}
	if env["CGO_ENABLED"] != "0" {
		t.Errorf("build stage CGO_ENABLED=%q: the distroless/static runtime needs static binaries", env["CGO_ENABLED"])
	}

	// Runtime: distroless, numeric non-root user, the binaries the manifests run, the configs.
	if !strings.HasPrefix(runtime.BaseName, "gcr.io/distroless/static") || !strings.HasSuffix(runtime.BaseName, ":nonroot") {
		t.Errorf("runtime FROM %s, want gcr.io/distroless/static-*:nonroot", runtime.BaseName)
	}
	var (
		user       string
		exposed    []string
		volumes    []string
		entrypoint []string
		cmd        []string
		files      = map[string]string{} // path in the image -> source
	)
	runtimeEnv := map[string]string{}
	for _, c := range runtime.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.ExposeCommand:
			exposed = append(exposed, c.Ports...)
		case *instructions.VolumeCommand:
			volumes = append(volumes, c.Volumes...)
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				t.Error("ENTRYPOINT in shell form: distroless has no shell, and signals would not reach the binary")
			}
			entrypoint = c.CmdLine
		case *instructions.CmdCommand:
			cmd = c.CmdLine
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				runtimeEnv[kv.Key] = kv.Value
			}
		case *instructions.CopyCommand:
			for _, src := range c.SourcePaths {
				dst := c.DestPath
				if strings.HasSuffix(dst, "/") {
					dst += filepath.Base(src)
				}
				files[dst] = c.From + ":" + src
			}
		case *instructions.RunCommand:
			t.Errorf("RUN in the runtime stage (%v): distroless has no shell", c.CmdLine)
		}
	}
	if user != fmt.Sprintf("%d:%d", imageUID, imageUID) {
		t.Errorf("runtime USER %q, want %d:%d (numeric, so that runAsNonRoot can verify it)", user, imageUID, imageUID)
	}
	slices.Sort(exposed)
	if want := []string{"13133", "4317", "4318", "8080"}; !slices.Equal(exposed, want) {
		t.Errorf("EXPOSE %v, want %v", exposed, want)
	}
	if !slices.Equal(volumes, []string{"/data"}) || runtimeEnv["LUMINATE_DATA_DIR"] != "/data" {
		t.Errorf("VOLUME %v with LUMINATE_DATA_DIR=%q, want /data for both", volumes, runtimeEnv["LUMINATE_DATA_DIR"])
	}
	if runtimeEnv["LUMINATE_LISTEN_HOST"] != "0.0.0.0" {
		t.Errorf("LUMINATE_LISTEN_HOST=%q, want 0.0.0.0 (published ports reach the container's interface)", runtimeEnv["LUMINATE_LISTEN_HOST"])
	}
	if src, ok := files["/data"]; !ok || !strings.HasPrefix(src, "build:") {
		t.Error("/data is not created in the build stage and copied with the runtime user's ownership")
	}
	if !slices.Equal(entrypoint, []string{"/usr/local/bin/luminate"}) || !slices.Equal(cmd, []string{"--config=/etc/luminate/luminate.yaml"}) {
		t.Errorf("ENTRYPOINT %q CMD %q, want the collector with the Badger config as the replaceable CMD", entrypoint, cmd)
	}
	for path, src := range files {
		switch {
		case strings.HasPrefix(path, "/usr/local/bin/"):
			name := filepath.Base(path)
			if built[name] == "" || src != "build:/src/bin/"+name {
				t.Errorf("image binary %s comes from %s, which no build step of the Makefile or the Dockerfile produces (built: %v)", path, src, built)
			}
		case strings.HasPrefix(path, "/etc/luminate/"):
			if _, err := os.Stat(filepath.Join(repoRoot, strings.TrimPrefix(src, ":"))); err != nil || !strings.HasPrefix(src, ":configs/") {
				t.Errorf("image config %s comes from %s, not from configs/", path, src)
			}
		}
	}
	// Every binary and config the Kubernetes manifests and the default command use is in the image.
	need := map[string]string{"/usr/local/bin/luminate": "ENTRYPOINT", "/etc/luminate/luminate.yaml": "CMD"}
	for _, overlay := range overlays {
		m := render(t, overlay)
		for _, w := range m.workloads() {
			for _, c := range allContainers(&w.template.Spec) {
				if len(c.Command) > 0 {
					need[c.Command[0]] = overlay + " " + w.String()
				}
			}
		}
	}
	for _, f := range []string{"ingest-clickhouse.yaml", "query-clickhouse.yaml"} {
		need["/etc/luminate/"+f] = "configs/" + f
	}
	for path, who := range need {
		if _, ok := files[path]; !ok {
			t.Errorf("%s (used by %s) is not in the image", path, who)
		}
	}
}

// TestDockerignore: the Dockerfile-specific ignore file keeps secrets and local build output out
// of the context, and keeps everything `make build` reads in it.
func TestDockerignore(t *testing.T) {
	f, err := os.Open(filepath.Join(repoRoot, "deploy", "docker", "Dockerfile.dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	excluded := func(p string) bool {
		ok, err := pm.MatchesOrParentMatches(p)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for _, p := range []string{".env", "deploy/kubernetes/base/secrets.env", ".git/config", "bin/luminate", "bin/tools/builder", "_build/go.mod", "data/MANIFEST", "ui/node_modules/esbuild/package.json"} {
		if !excluded(p) {
			t.Errorf("%s is sent to the Docker build context", p)
		}
	}
	// What the build reads: the Makefile, the ocb manifest, the module, the configs, and every
	// file of the main module's packages (Go sources and embedded files).
	need := []string{"Makefile", "builder-config.yaml", "go.mod", "go.sum", "configs/luminate.yaml",
		"configs/ingest-clickhouse.yaml", "configs/query-clickhouse.yaml"}
	err = filepath.WalkDir(repoRoot, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, p)
		if d.IsDir() {
			switch {
			case rel == ".":
				return nil
			case excluded(rel), strings.HasPrefix(d.Name(), "."), d.Name() == "node_modules", rel == "deploy/deploytest":
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if strings.HasSuffix(rel, ".go") || strings.HasPrefix(rel, "internal/webui/dist/") || strings.HasPrefix(rel, "deploy/clickhouse/") {
			need = append(need, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range need {
		if excluded(p) {
			t.Errorf("%s is needed by the build but excluded from the context", p)
		}
	}
}
