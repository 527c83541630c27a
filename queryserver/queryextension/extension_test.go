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
	"github.com/luminate-metrics/luminate/internal/auth"
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

func startExt(t *testing.T, dir string) (*queryExtension, string, host) {
	t.Helper()
	authID, authExt := startAuth(t)
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = freeAddr(t)
	cfg.Auth = authID.String()
	cfg.Storage.Badger.Dir = dir
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := host{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{authID: authExt}}
	if err := ext.Start(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	return ext.(*queryExtension), "http://" + cfg.Endpoint, h
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

// The extension serves the API, shares its store, accepts a mount after it started, and closes
// the store on shutdown (Badger's directory lock is released: a second open succeeds).
func TestServesSharesAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	ext, base, _ := startExt(t, dir)
	if code, body := get(t, base+"/healthz", ""); code != 200 {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	a := ext.Store().Appender("acme")
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
	if err := ext.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	// the store is closed and the port free: a new extension opens the same directory
	ext2, base2, _ := startExt(t, dir)
	defer ext2.Shutdown(context.Background())
	if code, body := get(t, base2+"/api/v1/metrics", tok); code != 200 || !strings.Contains(body, `"cpu"`) {
		t.Fatalf("after reopen: %d %s", code, body)
	}
}

// A second opener of the same directory, or a busy port, fails Start instead of a later log.
func TestStartFailsOnLockedDirAndBusyPort(t *testing.T) {
	dir := t.TempDir()
	ext, base, h := startExt(t, dir)
	defer ext.Shutdown(context.Background())

	cfg := *ext.cfg
	cfg.Endpoint = freeAddr(t)
	other := newExtension(&cfg, extensiontest.NewNopSettings(Type))
	if err := other.Start(context.Background(), h); err == nil {
		other.Shutdown(context.Background())
		t.Fatal("a second store on the same Badger directory started")
	}
	cfg2 := *ext.cfg
	cfg2.Endpoint = strings.TrimPrefix(base, "http://")
	cfg2.Storage.Badger.Dir = t.TempDir()
	busy := newExtension(&cfg2, extensiontest.NewNopSettings(Type))
	if err := busy.Start(context.Background(), h); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("busy port: got %v", err)
	}
}

func TestStartNeedsAuthExtension(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Auth = "luminateauth"
	cfg.Endpoint = freeAddr(t)
	cfg.Storage.Badger.Dir = t.TempDir()
	e := newExtension(cfg, extensiontest.NewNopSettings(Type))
	err := e.Start(context.Background(), componenttest.NewNopHost())
	if err == nil || !strings.Contains(err.Error(), "luminateauth") {
		t.Fatalf("want an error naming the missing extension, got %v", err)
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
	if cfg.Endpoint != "127.0.0.1:18080" || cfg.Storage.Badger.Dir != "/var/lib/luminate" || cfg.Query.MaxSeries != 5000 || cfg.Query.DefaultTimeout != 5*time.Second {
		t.Fatalf("unexpected config: %+v", cfg)
	}
	for _, bad := range []Config{
		{Endpoint: "nope", Auth: "luminateauth", Storage: cfg.Storage},
		{Endpoint: ":8080", Storage: cfg.Storage},
		{Endpoint: ":8080", Auth: "luminateauth"},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("config %+v validated", bad)
		}
	}
}

var _ extension.Extension = (*queryExtension)(nil)
