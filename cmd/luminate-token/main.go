// Command luminate-token mints a Luminate JWT (HS256, api.md "Authentication and tenancy")
// for a tenant, so that operators and scripts can call the API without an identity provider:
//
//	export JWT_SECRET=...   # or put JWT_SECRET=... into .env
//	TOKEN=$(luminate-token --tenant acme --scopes read,write --ttl 24h)
//	curl -H "Authorization: Bearer $TOKEN" localhost:8080/api/v1/metrics
//
// stdout carries only the token (or, with --json, one JSON object), so $(...) captures it
// cleanly. Exit status: 0 ok, 1 failure (secret missing or too short, unreadable .env),
// 2 usage error (bad flag, tenant, scope or ttl).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"

	"github.com/luminate-metrics/luminate/internal/auth"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks errors in the caller's invocation, answered with exitUsage. printed is
// set when package flag has already written the error and the usage to stderr.
type usageError struct {
	error
	printed bool
}

type options struct {
	tenant   string
	scopes   []string
	ttl      time.Duration
	envFile  string
	asJSON   bool
	audience string
	issuer   string
}

// output is the --json form.
type output struct {
	Token     string   `json:"token"`
	Tenant    string   `json:"tenant"`
	Scopes    []string `json:"scopes"`
	ExpiresAt string   `json:"expiresAt"`
}

// run is main without the process: getenv, stdout and stderr are injected for tests.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err == nil {
		err = mint(opts, getenv, stdout)
	}
	if err == nil {
		return exitOK
	}
	var ue usageError
	if !errors.As(err, &ue) {
		fmt.Fprintf(stderr, "luminate-token: %v\n", err)
		return exitFailure
	}
	if !ue.printed {
		fmt.Fprintf(stderr, "luminate-token: %v\nrun luminate-token -h for usage\n", err)
	}
	return exitUsage
}

func parseArgs(args []string, stderr io.Writer) (options, error) {
	var o options
	var scopes string
	fs := flag.NewFlagSet("luminate-token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.tenant, "tenant", "", "tenant_id claim (required)")
	fs.StringVar(&scopes, "scopes", "read,write", "comma-separated scopes among "+strings.Join(auth.KnownScopes, ", "))
	fs.DurationVar(&o.ttl, "ttl", 24*time.Hour, "lifetime of the token")
	fs.StringVar(&o.envFile, "env-file", ".env", "file with a JWT_SECRET=... line, read when JWT_SECRET is not in the environment")
	fs.BoolVar(&o.asJSON, "json", false, `print {"token","tenant","scopes","expiresAt"} instead of the bare token`)
	fs.StringVar(&o.audience, "audience", "", "aud claim, for servers configured with an audience")
	fs.StringVar(&o.issuer, "issuer", "", "iss claim, for servers configured with an issuer")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: luminate-token --tenant ID [--scopes read,write] [--ttl 24h] [--json] [--env-file .env]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err, true}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Errorf("unexpected argument %q (all options are flags)", fs.Arg(0)), false}
	}
	if o.tenant == "" {
		return o, usageError{errors.New("--tenant is required"), false}
	}
	if i := strings.IndexFunc(o.tenant, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return o, usageError{fmt.Errorf("--tenant %q has a space or control character at byte %d", o.tenant, i), false}
	}
	if o.ttl <= 0 {
		return o, usageError{fmt.Errorf("--ttl is %s; it must be positive, e.g. 24h", o.ttl), false}
	}
	var err error
	if o.scopes, err = parseScopes(scopes); err != nil {
		return o, usageError{err, false}
	}
	return o, nil
}

// parseScopes splits "read, write" into known, de-duplicated scopes.
func parseScopes(s string) ([]string, error) {
	var out []string
	for _, sc := range strings.Split(s, ",") {
		sc = strings.TrimSpace(sc)
		if sc == "" {
			continue
		}
		if !auth.IsKnownScope(sc) {
			return nil, fmt.Errorf("--scopes: %q is not a scope; use %s", sc, strings.Join(auth.KnownScopes, ", "))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--scopes is empty; use one or more of %s", strings.Join(auth.KnownScopes, ", "))
	}
	return out, nil
}

func mint(o options, getenv func(string) string, stdout io.Writer) error {
	secret, from, err := loadSecret(getenv, o.envFile)
	if err != nil {
		return err
	}
	if len(secret) < auth.MinSecretLen {
		return fmt.Errorf("JWT_SECRET (from %s) is %d bytes, at least %d are required; generate one with: openssl rand -base64 48",
			from, len(secret), auth.MinSecretLen)
	}
	// Whole seconds: exp is a NumericDate in seconds, and expiresAt must match it exactly.
	now := time.Now().UTC().Truncate(time.Second)
	exp := now.Add(o.ttl)
	c := auth.Claims{
		TenantID: o.tenant,
		Scopes:   o.scopes,
		RegisteredClaims: jwt.RegisteredClaims{
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			Issuer:    o.issuer,
		},
	}
	if o.audience != "" {
		c.Audience = jwt.ClaimStrings{o.audience}
	}
	tok, err := auth.Sign(secret, c)
	if err != nil {
		return err
	}
	if !o.asJSON {
		_, err = fmt.Fprintln(stdout, tok)
		return err
	}
	return json.NewEncoder(stdout).Encode(output{
		Token:     tok,
		Tenant:    o.tenant,
		Scopes:    o.scopes,
		ExpiresAt: exp.Format("2006-01-02T15:04:05.000Z07:00"),
	})
}

// loadSecret returns JWT_SECRET from the environment, else from the env file, and says
// which, for error messages (never the value).
func loadSecret(getenv func(string) string, envFile string) (secret, from string, err error) {
	if s := getenv("JWT_SECRET"); s != "" {
		return s, "the environment", nil
	}
	s, found, err := readEnvFile(envFile, "JWT_SECRET")
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", "", fmt.Errorf("JWT_SECRET is not set and %s does not exist; export JWT_SECRET or pass --env-file", envFile)
	case err != nil:
		return "", "", err
	case !found:
		return "", "", fmt.Errorf("JWT_SECRET is not set, neither in the environment nor in %s", envFile)
	}
	return s, envFile, nil
}
