package distro_test

import (
	"go/parser"
	gotoken "go/token"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// builderConfig is the part of builder-config.yaml that lists components.
type builderConfig struct {
	Receivers  []module `yaml:"receivers"`
	Processors []module `yaml:"processors"`
	Exporters  []module `yaml:"exporters"`
	Extensions []module `yaml:"extensions"`
	Providers  []module `yaml:"providers"`
}

type module struct {
	GoMod  string `yaml:"gomod"`
	Import string `yaml:"import"`
}

func (m module) path() string {
	if m.Import != "" {
		return m.Import
	}
	return strings.Fields(m.GoMod)[0]
}

// TestBuilderConfigMatchesDistro keeps the ocb manifest and internal/distro (used by
// `make build-local` and the tests) listing the same components.
func TestBuilderConfigMatchesDistro(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(file)
	raw, err := os.ReadFile(filepath.Join(dir, "..", "..", "builder-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var bc builderConfig
	if err := yaml.Unmarshal(raw, &bc); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, list := range [][]module{bc.Receivers, bc.Processors, bc.Exporters, bc.Extensions, bc.Providers} {
		for _, m := range list {
			want = append(want, m.path())
		}
	}
	f, err := parser.ParseFile(gotoken.NewFileSet(), filepath.Join(dir, "distro.go"), nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		last := p[strings.LastIndex(p, "/")+1:]
		for _, kind := range []string{"receiver", "processor", "exporter", "extension", "provider"} {
			// a component package is named <name><kind>, e.g. otlpreceiver; the bare API
			// packages (go.opentelemetry.io/collector/receiver) are not components
			if last != kind && strings.HasSuffix(last, kind) {
				got = append(got, p)
			}
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("distro.go imports components %v\nbuilder-config.yaml lists %v", got, want)
	}
}
