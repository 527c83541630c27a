package luminatereceiver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/luminate-metrics/luminate/internal/auth"
)

// refusingMounter is a front door whose Mount fails.
type refusingMounter struct {
	component.StartFunc
	component.ShutdownFunc
}

func (refusingMounter) Mount(string, string, fiber.Handler) error {
	return errors.New("route already taken")
}

func TestStartErrors(t *testing.T) {
	v, err := auth.NewVerifier(auth.Config{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	good := &authExt{v: v}
	cases := []struct {
		desc  string
		host  testHost
		cfgFn func(*Config)
		want  string
	}{
		{"no auth extension", testHost{}, nil, `extension "luminateauth" is not configured`},
		{"auth is not a verifier provider", testHost{authID: refusingMounter{}}, nil, "does not provide"},
		{"auth without verifier", testHost{authID: &authExt{}}, nil, "has no token verifier"},
		{"port in use", testHost{authID: good}, func(c *Config) { c.Endpoint = busy.Addr().String() }, "listening on " + busy.Addr().String()},
		{"no server extension", testHost{authID: good}, useServer, `extension "luminatequery" is not configured`},
		{"server is not a mounter", testHost{authID: good, serverID: good}, useServer, "does not provide"},
		{"mount fails", testHost{authID: good, serverID: refusingMounter{}}, useServer, "route already taken"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.Auth = authID
			cfg.Endpoint = "127.0.0.1:0"
			if c.cfgFn != nil {
				c.cfgFn(cfg)
			}
			r, err := newReceiver(receivertest.NewNopSettings(componentType), cfg, consumertest.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			err = r.Start(context.Background(), c.host)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Start: %v, want %q", err, c.want)
			}
			if err := r.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func useServer(c *Config) {
	id := serverID
	c.Server = &id
	c.Endpoint = ""
}

func TestShutdownOwnEndpoint(t *testing.T) {
	env := startEnv(t, ownEndpoint, nil, nil)
	requireCounts(t, env.write(t, oneItem), 200, 1, 0)
	addr := env.rcv.addr()
	if err := env.rcv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Shutdown", addr)
	}
	// A second Shutdown (the cleanup) is harmless.
	if err := env.rcv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestShutdownMounted: the front door keeps the route, but the handler refuses with 503.
func TestShutdownMounted(t *testing.T) {
	env := startEnv(t, frontDoorStreamed, nil, nil)
	if err := env.rcv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := env.write(t, oneItem)
	requireEnvelope(t, a, 503, "SERVICE_UNAVAILABLE")
	if a.Header.Get("Retry-After") != "1" || len(env.sink.AllMetrics()) != 0 {
		t.Fatalf("after Shutdown: %s", a.Raw)
	}
}

// TestOwnEndpointRoutes: fiber's own errors come in the envelope too.
func TestOwnEndpointRoutes(t *testing.T) {
	env := startEnv(t, ownEndpoint, nil, nil)
	a := env.do(t, req{method: http.MethodGet})
	requireEnvelope(t, a, 405, "INVALID_REQUEST")
	a = env.do(t, req{pathPlus: "/more", auth: "Bearer " + token(t, "acme", "write"), body: strings.NewReader(oneItem)})
	requireEnvelope(t, a, 404, "NOT_FOUND")
}

// TestKeepAliveAfterRefusal: a refused request with an unread body closes its connection, and
// the client's next request on a new one succeeds.
func TestKeepAliveAfterRefusal(t *testing.T) {
	forEachMode(t, func(t *testing.T, m mode) {
		env := startEnv(t, m, nil, nil)
		for range 3 {
			requireEnvelope(t, env.do(t, req{body: strings.NewReader(oneItem)}), 401, "UNAUTHORIZED")
			requireCounts(t, env.write(t, oneItem), 200, 1, 0)
		}
	})
}
