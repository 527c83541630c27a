package queryserver

import (
	"testing"

	"github.com/gofiber/fiber/v2"
)

// knownMethod must agree with the methods fiber routes, or fiber's plain-text 400 comes back.
func TestKnownMethodMatchesFiber(t *testing.T) {
	for _, m := range fiber.DefaultMethods {
		if !knownMethod([]byte(m)) {
			t.Errorf("%s is routed by fiber but not known", m)
		}
	}
	for _, m := range []string{"BREW", "get", "", "PROPFIND"} {
		if knownMethod([]byte(m)) {
			t.Errorf("%q is known", m)
		}
	}
}
