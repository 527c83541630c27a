package luminatereceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/auth"
	"github.com/luminate-metrics/luminate/internal/writeapi"
)

const testSecret = "test-secret-0123456789abcdef-0123456789"

var (
	authID   = component.MustNewID("luminateauth")
	serverID = component.MustNewID("luminatequery")
)

// hostExtra are extensions startEnv adds to the host (set by startEnvWith); envLogger, when
// set, is the receiver's logger.
var (
	hostExtra map[component.ID]component.Component
	envLogger *zap.Logger
)

// testHost is a component.Host with the given extensions.
type testHost map[component.ID]component.Component

func (h testHost) GetExtensions() map[component.ID]component.Component { return h }

// authExt stands in for the auth extension: a real verifier behind extlink.VerifierProvider.
type authExt struct {
	component.StartFunc
	component.ShutdownFunc
	v *auth.Verifier
}

func (a *authExt) Verifier() *auth.Verifier { return a.v }

// frontDoor stands in for the query server extension: a real fiber app on a free port that
// implements extlink.Mounter. It is already serving when the receiver mounts, as in the
// collector (extensions start first), so it dispatches through a route table it owns.
type frontDoor struct {
	component.StartFunc
	component.ShutdownFunc
	app    *fiber.App
	addr   string
	mu     sync.RWMutex
	routes map[string]fiber.Handler
}

func newFrontDoor(t testing.TB, stream bool) *frontDoor {
	t.Helper()
	f := &frontDoor{routes: map[string]fiber.Handler{}}
	f.app = fiber.New(fiber.Config{
		DisableStartupMessage: true,
		StreamRequestBody:     stream,
		BodyLimit:             64 << 20,
	})
	f.app.Use(func(c *fiber.Ctx) error {
		f.mu.RLock()
		h := f.routes[c.Method()+" "+c.Path()]
		f.mu.RUnlock()
		if h == nil {
			return fiber.ErrNotFound
		}
		return h(c)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	go func() { _ = f.app.Listener(ln) }()
	t.Cleanup(func() { _ = f.app.ShutdownWithTimeout(5 * time.Second) })
	return f
}

func (f *frontDoor) Mount(method, path string, h fiber.Handler) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[method+" "+path] = h
	return nil
}

// mode is where the handler is served.
type mode string

const (
	ownEndpoint       mode = "endpoint"              // the receiver's own listener
	frontDoorStreamed mode = "server, streamed"      // mounted on a front door that streams bodies
	frontDoorBuffered mode = "server, buffered body" // mounted on a front door that buffers bodies
)

var allModes = []mode{ownEndpoint, frontDoorStreamed, frontDoorBuffered}

func forEachMode(t *testing.T, f func(t *testing.T, m mode)) {
	for _, m := range allModes {
		t.Run(string(m), func(t *testing.T) { f(t, m) })
	}
}

type testEnv struct {
	url  string
	rcv  *jsonReceiver
	sink *consumertest.MetricsSink
}

// startEnv starts a receiver in mode m. next defaults to the env's sink; cfgFn may change the
// config before Start.
func startEnv(t testing.TB, m mode, next consumer.Metrics, cfgFn func(*Config)) *testEnv {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	host := testHost{authID: &authExt{v: v}}
	for id, ext := range hostExtra {
		host[id] = ext
	}
	cfg := createDefaultConfig().(*Config)
	cfg.Auth = authID
	var fd *frontDoor
	if m == ownEndpoint {
		cfg.Endpoint = "127.0.0.1:0"
	} else {
		fd = newFrontDoor(t, m == frontDoorStreamed)
		host[serverID] = fd
		id := serverID
		cfg.Server = &id
	}
	if cfgFn != nil {
		cfgFn(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	env := &testEnv{sink: new(consumertest.MetricsSink)}
	if next == nil {
		next = env.sink
	}
	set := receivertest.NewNopSettings(componentType)
	if envLogger != nil {
		set.Logger = envLogger
	}
	r, err := newReceiver(set, cfg, next)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	env.rcv = r
	addr := r.addr()
	if fd != nil {
		addr = fd.addr
	}
	env.url = "http://" + addr + cfg.Path
	return env
}

func token(t testing.TB, tenant string, scopes ...string) string {
	t.Helper()
	tok, err := auth.Mint(testSecret, tenant, scopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// answer is any response of the write API: the write response, the envelope, or both.
type answer struct {
	Status   int
	Raw      string
	Header   http.Header
	Accepted *int                 `json:"accepted"`
	Rejected *int                 `json:"rejected"`
	Errors   []writeapi.ItemError `json:"errors"`
	Error    *struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

type req struct {
	auth     string            // full Authorization header; "" = none
	body     io.Reader         // bytes.Reader and strings.Reader get a Content-Length
	headers  map[string]string // extra headers
	chunked  bool              // send without Content-Length
	method   string            // default POST
	pathPlus string            // appended to the URL
}

func (e *testEnv) do(t *testing.T, rq req) answer {
	t.Helper()
	method := rq.method
	if method == "" {
		method = http.MethodPost
	}
	hr, err := http.NewRequest(method, e.url+rq.pathPlus, rq.body)
	if err != nil {
		t.Fatal(err)
	}
	if rq.chunked {
		hr.ContentLength = -1
		hr.TransferEncoding = []string{"chunked"}
	}
	hr.Header.Set("Content-Type", "application/json")
	if rq.auth != "" {
		hr.Header.Set("Authorization", rq.auth)
	}
	for k, v := range rq.headers {
		hr.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{Status: resp.StatusCode, Raw: string(raw), Header: resp.Header}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("status %d, body is not JSON: %q", resp.StatusCode, raw)
	}
	return a
}

// write posts body with a write token of tenant "acme".
func (e *testEnv) write(t *testing.T, body string) answer {
	t.Helper()
	return e.do(t, req{auth: "Bearer " + token(t, "acme", "write"), body: bytes.NewReader([]byte(body))})
}

// requireEnvelope checks status and error code of an answer.
func requireEnvelope(t *testing.T, a answer, status int, code string) {
	t.Helper()
	if a.Status != status || a.Error == nil || a.Error.Code != code || a.Error.Message == "" {
		t.Fatalf("got status %d body %s; want %d with error code %s", a.Status, a.Raw, status, code)
	}
}

// requireCounts checks status, accepted and rejected of a write answer.
func requireCounts(t *testing.T, a answer, status, accepted, rejected int) {
	t.Helper()
	if a.Status != status || a.Accepted == nil || a.Rejected == nil || *a.Accepted != accepted || *a.Rejected != rejected ||
		len(a.Errors) != rejected {
		t.Fatalf("got status %d body %s; want %d with accepted %d rejected %d", a.Status, a.Raw, status, accepted, rejected)
	}
}
