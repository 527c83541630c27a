// Command luminate is the Luminate collector distribution built with plain `go build`
// (`make build-local`): the same components as the ocb build of builder-config.yaml, for fast
// local iteration. Releases use the ocb binary (`make build`).
package main

import (
	"os"

	"go.opentelemetry.io/collector/otelcol"

	"github.com/luminate-metrics/luminate/internal/distro"
)

func main() {
	if err := otelcol.NewCommand(distro.Settings()).Execute(); err != nil {
		// cobra has printed the error already
		os.Exit(1)
	}
}
