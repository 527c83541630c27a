package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/auth"
)

const secret = "luminate-token-test-secret-0123456789abcdef" // 43 bytes

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func runT(t *testing.T, getenv func(string) string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, getenv, &out, &errb)
	return code, out.String(), errb.String()
}

func verify(t *testing.T, cfg auth.Config, tok string) *auth.Claims {
	t.Helper()
	if cfg.Secret == "" {
		cfg.Secret = secret
	}
	v, err := auth.NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(tok)
	if err != nil {
		t.Fatalf("minted token does not verify: %v", err)
	}
	return c
}

func TestMintPrintsOnlyTheToken(t *testing.T) {
	before := time.Now().Truncate(time.Second)
	code, out, errOut := runT(t, env("JWT_SECRET", secret), "--tenant", "acme", "--scopes", "read,write", "--ttl", "24h")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 || strings.Count(out, ".") != 2 {
		t.Fatalf("stdout %q is not one JWT line", out)
	}
	c := verify(t, auth.Config{}, strings.TrimSpace(out))
	if c.TenantID != "acme" || !reflect.DeepEqual(c.Scopes, []string{"read", "write"}) {
		t.Fatalf("claims = %q %v", c.TenantID, c.Scopes)
	}
	if d := c.ExpiresAt.Sub(before); d < 24*time.Hour || d > 24*time.Hour+5*time.Second {
		t.Fatalf("exp is %s after start, want 24h", d)
	}
	if c.IssuedAt == nil {
		t.Fatal("no iat")
	}
}

func TestMintJSON(t *testing.T) {
	code, out, errOut := runT(t, env("JWT_SECRET", secret), "-tenant=acme", "-scopes", " admin , read,admin", "-ttl", "90m", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout %q is not JSON: %v", out, err)
	}
	if len(got) != 4 || got["tenant"] != "acme" || !reflect.DeepEqual(got["scopes"], []any{"admin", "read"}) {
		t.Fatalf("json = %v", got)
	}
	exp, err := time.Parse(time.RFC3339, got["expiresAt"].(string))
	if err != nil || !strings.HasSuffix(got["expiresAt"].(string), ".000Z") {
		t.Fatalf("expiresAt %q is not RFC 3339 UTC with milliseconds: %v", got["expiresAt"], err)
	}
	c := verify(t, auth.Config{}, got["token"].(string))
	if !c.ExpiresAt.Equal(exp) {
		t.Fatalf("expiresAt %s != exp claim %s", exp, c.ExpiresAt.Time)
	}
}

func TestMintAudienceIssuer(t *testing.T) {
	code, out, errOut := runT(t, env("JWT_SECRET", secret), "--tenant", "acme", "--audience", "luminate", "--issuer", "ops")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	verify(t, auth.Config{Audience: "luminate", Issuer: "ops"}, strings.TrimSpace(out))
}

func TestSecretFromEnvFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "prod.env")
	writeEnv(t, file, "# Luminate\nexport JWT_SECRET=\""+secret+"\"  # rotated 2026-11\nOTHER=x\n")

	code, out, errOut := runT(t, env(), "--tenant", "acme", "--env-file", file)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	verify(t, auth.Config{}, strings.TrimSpace(out))

	// The environment wins over the file.
	other := strings.Repeat("e", 40)
	code, out, _ = runT(t, env("JWT_SECRET", other), "--tenant", "acme", "--env-file", file)
	if code != 0 {
		t.Fatal("exit", code)
	}
	verify(t, auth.Config{Secret: other}, strings.TrimSpace(out))
}

func TestFailures(t *testing.T) {
	dir := t.TempDir()
	noSecret := filepath.Join(dir, "nosecret.env")
	writeEnv(t, noSecret, "OTHER=1\n")
	short := filepath.Join(dir, "short.env")
	writeEnv(t, short, "JWT_SECRET='twelve-bytes'\n")
	broken := filepath.Join(dir, "broken.env")
	writeEnv(t, broken, "JWT_SECRET=\"unterminated-"+secret+"\n")
	missing := filepath.Join(dir, "missing.env")
	ok := env("JWT_SECRET", secret)

	tests := []struct {
		name   string
		getenv func(string) string
		args   []string
		code   int
		stderr string
	}{
		{"no tenant", ok, nil, 2, "--tenant is required"},
		{"unknown flag", ok, []string{"--tenant", "a", "--nope"}, 2, "flag provided but not defined: -nope"},
		{"positional argument", ok, []string{"--tenant", "a", "extra"}, 2, `unexpected argument "extra"`},
		{"bad scope", ok, []string{"--tenant", "a", "--scopes", "read,delete"}, 2, `"delete" is not a scope; use read, write, admin`},
		{"empty scopes", ok, []string{"--tenant", "a", "--scopes", " , "}, 2, "--scopes is empty"},
		{"zero ttl", ok, []string{"--tenant", "a", "--ttl", "0s"}, 2, "--ttl is 0s; it must be positive"},
		{"negative ttl", ok, []string{"--tenant", "a", "--ttl", "-1h"}, 2, "--ttl is -1h0m0s"},
		{"bad ttl", ok, []string{"--tenant", "a", "--ttl", "tomorrow"}, 2, `invalid value "tomorrow" for flag -ttl`},
		{"tenant with space", ok, []string{"--tenant", "ac me"}, 2, "space or control character at byte 2"},
		{"short secret in env", env("JWT_SECRET", "twelve-bytes"), []string{"--tenant", "a"}, 1,
			"JWT_SECRET (from the environment) is 12 bytes, at least 32 are required"},
		{"short secret in file", env(), []string{"--tenant", "a", "--env-file", short}, 1,
			"JWT_SECRET (from " + short + ") is 12 bytes, at least 32 are required"},
		{"no env file", env(), []string{"--tenant", "a", "--env-file", missing}, 1, missing + " does not exist"},
		{"no secret in file", env(), []string{"--tenant", "a", "--env-file", noSecret}, 1, "neither in the environment nor in " + noSecret},
		{"broken file", env(), []string{"--tenant", "a", "--env-file", broken}, 1, broken + " line 1: JWT_SECRET: the \" quote is not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runT(t, tt.getenv, tt.args...)
			if code != tt.code || out != "" || !strings.Contains(errOut, tt.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and stderr containing %q", code, out, errOut, tt.code, tt.stderr)
			}
			for _, s := range []string{secret, "twelve-bytes'"} {
				if strings.Contains(errOut, s) {
					t.Fatalf("stderr %q leaks the secret", errOut)
				}
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, out, errOut := runT(t, env(), "-h")
	if code != 0 || out != "" || !strings.Contains(errOut, "usage: luminate-token --tenant ID") || !strings.Contains(errOut, "-json") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestBinary checks the wiring of main (exit codes, streams) on the real binary.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "luminate-token")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--tenant", "acme", "--scopes", "write")
	cmd.Dir = t.TempDir() // no .env here
	cmd.Env = []string{"JWT_SECRET=" + secret}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("run: %v, stderr %q", err, stderr.String())
	}
	if c := verify(t, auth.Config{}, strings.TrimSpace(stdout.String())); !c.HasScope(auth.ScopeWrite) {
		t.Fatalf("scopes = %v", c.Scopes)
	}

	for _, tc := range []struct {
		env  []string
		args []string
		code int
	}{
		{[]string{"JWT_SECRET=" + secret}, []string{"--scopes", "root"}, 2},
		{[]string{}, []string{"--tenant", "acme"}, 1}, // no JWT_SECRET and no .env in cmd.Dir
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Dir, cmd.Env = t.TempDir(), tc.env // non-nil: nil would inherit this process's env
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
			t.Fatalf("%v: err %v, want exit %d", tc.args, err, tc.code)
		}
	}
}

func writeEnv(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
