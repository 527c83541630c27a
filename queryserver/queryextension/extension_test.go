package queryextension

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/luminate-metrics/luminate/extension/luminateauthextension"
	"github.com/luminate-metrics/luminate/extension/luminatestoreextension"
	"github.com/luminate-metrics/luminate/internal/auth"
	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/model"
)

const secret = "0123456789abcdef0123456789abcdef-test"

// host is a component.Host holding real extensions.
type host struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

func startAuth(t *testing.T) (component.ID, component.Component) {
	t.Helper()
	f := luminateauthextension.NewFactory()
	cfg := f.CreateDefaultConfig().(*luminateauthextension.Config)
	cfg.Secret = configopaque.String(secret)
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return component.NewID(f.Type()), ext
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startStore(t *testing.T, dir string) (component.ID, component.Component) {
	t.Helper()
	f := luminatestoreextension.NewFactory()
	cfg := f.CreateDefaultConfig().(*luminatestoreextension.Config)
	cfg.Badger.Dir = dir
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	return component.NewID(f.Type()), ext
}

// startExt starts a store, an auth and a query extension; stop undoes it in the collector's
// order (query server first, then the store).
func startExt(t *testing.T, dir string) (ext *queryExtension, base string, h host, stop func()) {
	t.Helper()
	authID, authExt := startAuth(t)
	storeID, storeExt := startStore(t, dir)
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = freeAddr(t)
	cfg.Auth, cfg.Store = authID, storeID
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	e, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h = host{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{authID: authExt, storeID: storeExt}}
	if err := e.Start(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	stop = func() {
		if err := e.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
		if err := storeExt.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}
	return e.(*queryExtension), "http://" + cfg.Endpoint, h, stop
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The extension serves the API over the store extension's store, accepts a mount after it
// started, declares its dependencies, and frees the port on shutdown.
func TestServesMountsAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	ext, base, h, stop := startExt(t, dir)
	if code, body := get(t, base+"/healthz", ""); code != 200 {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if deps := ext.Dependencies(); len(deps) != 2 || deps[0] != ext.cfg.Auth || deps[1] != ext.cfg.Store {
		t.Fatalf("dependencies %v", deps)
	}
	a := h.exts[ext.cfg.Store].(extlink.StoreProvider).Store().Appender("acme")
	if err := a.Append("cpu", model.MetricMeta{}, model.Labels{{Name: "host", Value: "h1"}}, time.Now().UnixMilli(), 1); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	tok, _ := auth.Mint(secret, "acme", []string{"read"}, time.Hour)
	if code, body := get(t, base+"/api/v1/metrics", tok); code != 200 || !strings.Contains(body, `"cpu"`) {
		t.Fatalf("/api/v1/metrics: %d %s", code, body)
	}
	if err := ext.Mount(http.MethodGet, "/api/v1/extra", func(c *fiber.Ctx) error { return c.SendString("mounted") }); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, base+"/api/v1/extra", ""); code != 200 || body != "mounted" {
		t.Fatalf("mounted route: %d %s", code, body)
	}
	stop()
	// the store is closed and the port free: new extensions open the same directory
	_, base2, _, stop2 := startExt(t, dir)
	defer stop2()
	if code, body := get(t, base2+"/api/v1/metrics", tok); code != 200 || !strings.Contains(body, `"cpu"`) {
		t.Fatalf("after reopen: %d %s", code, body)
	}
}

// A busy port fails Start instead of a later log line.
func TestStartFailsOnBusyPort(t *testing.T) {
	ext, base, h, stop := startExt(t, t.TempDir())
	defer stop()
	cfg := *ext.cfg
	cfg.Endpoint = strings.TrimPrefix(base, "http://")
	busy := newExtension(&cfg, extensiontest.NewNopSettings(Type))
	if err := busy.Start(context.Background(), h); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("busy port: got %v", err)
	}
}

func TestStartNeedsAuthAndStoreExtensions(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Auth = component.MustNewID("luminateauth")
	cfg.Store = component.MustNewID("luminatestore")
	cfg.Endpoint = freeAddr(t)
	e := newExtension(cfg, extensiontest.NewNopSettings(Type))
	err := e.Start(context.Background(), componenttest.NewNopHost())
	if err == nil || !strings.Contains(err.Error(), "luminateauth") {
		t.Fatalf("want an error naming the missing auth extension, got %v", err)
	}
	authID, authExt := startAuth(t)
	h := host{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{authID: authExt}}
	err = e.Start(context.Background(), h)
	if err == nil || !strings.Contains(err.Error(), "luminatestore") {
		t.Fatalf("want an error naming the missing store extension, got %v", err)
	}
}

func TestConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := createDefaultConfig().(*Config)
	if err := cm.Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "127.0.0.1:18080" || cfg.Store.String() != "luminatestore" || cfg.Query.MaxSeries != 5000 || cfg.Query.DefaultTimeout != 5*time.Second {
		t.Fatalf("unexpected config: %+v", cfg)
	}
	for _, bad := range []Config{
		{Endpoint: "nope", Auth: cfg.Auth, Store: cfg.Store},
		{Endpoint: ":8080", Store: cfg.Store},
		{Endpoint: ":8080", Auth: cfg.Auth},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("config %+v validated", bad)
		}
	}
}

var _ extension.Extension = (*queryExtension)(nil)

// /readyz follows the collector: not ready while the pipelines start (the write handler and the
// OTLP receivers are not up yet), ready once they all started, not ready again at shutdown.
func TestReadyzFollowsPipelines(t *testing.T) {
	ext, base, _, stop := startExt(t, t.TempDir())
	defer stop()
	for _, step := range []struct {
		what string
		do   func() error
		code int
	}{
		{"after Start", func() error { return nil }, 503},
		{"after Ready", ext.Ready, 200},
		{"after NotReady", ext.NotReady, 503},
	} {
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		if code, body := get(t, base+"/readyz", ""); code != step.code {
			t.Errorf("/readyz %s: %d %s, want %d", step.what, code, body, step.code)
		}
	}
}
