package distro_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/luminate-metrics/luminate/internal/auth"
)

// call sends one request to the API and returns status, headers and the decoded JSON body
// (nil when it is not a JSON object).
func call(t *testing.T, method, url, tok, body string, hdr ...string) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	if v == nil {
		v = map[string]any{"_raw": string(b)}
	}
	return resp.StatusCode, resp.Header, v
}

func errCode(v map[string]any) string {
	e, _ := v["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// query runs a query and returns status and body.
func query(t *testing.T, in *instance, tok, q string) (int, map[string]any) {
	t.Helper()
	code, _, v := call(t, http.MethodPost, in.api+"/api/v1/query", tok, q)
	return code, v
}

// TestCrossTenantMatrix: tenant acme writes (JSON and OTLP) and sets a retention policy;
// tenant globex then goes through every endpoint, with its own data under the same metric name
// and a dimension named tenant_id claiming acme, and sees and affects nothing of acme's.
func TestCrossTenantMatrix(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) { testCrossTenantMatrix(t, eng.config(t)...) })
	}
}

func testCrossTenantMatrix(t *testing.T, storage ...string) {
	in := startCollectorWith(t, t.TempDir(), freePorts(t), storage...)
	defer in.stop(t)
	a := token(t, "acme", "read", "write", "admin")
	b := token(t, "globex", "read", "write", "admin")
	now := time.Now()
	ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }

	code, _, v := call(t, http.MethodPost, in.api+"/api/v1/write", a, fmt.Sprintf(`{"metrics":[
		{"name":"api_latency","timestamp":%d,"value":100123,"dimensions":{"customer_id":"acme_cust_77","acme_only_key":"/acme-only-endpoint"}},
		{"name":"api_latency","timestamp":%d,"value":200456,"dimensions":{"customer_id":"acme_cust_77","acme_only_key":"/acme-only-endpoint"}},
		{"name":"acme_secret_metric","timestamp":%d,"value":42,"dimensions":{"k":"v"}}]}`, ms(-2*time.Minute), ms(-time.Minute), ms(-time.Minute)))
	if code != 200 {
		t.Fatalf("acme write: %d %v", code, v)
	}
	conn, err := grpc.NewClient(in.otlpGRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	octx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+a)
	if _, err := pmetricotlp.NewGRPCClient(conn).Export(octx, otlpRequest("orders_total", now, map[string]float64{"acme_cust_77": 7}, "")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "acme's OTLP points", func() bool { got, _ := sumBy(t, in, a, "orders_total", "customer_id"); return got["acme_cust_77"] == 7 })
	if code, _, v := call(t, http.MethodPost, in.api+"/api/v1/admin/retention", a, `{"metricName":"api_latency","retentionDays":30}`); code != 200 {
		t.Fatalf("acme retention: %d %v", code, v)
	}

	// globex: its own api_latency, with a dimension claiming acme, over JSON and over OTLP with
	// a spoofed header and resource attribute.
	code, _, v = call(t, http.MethodPost, in.api+"/api/v1/write", b, fmt.Sprintf(`{"metrics":[
		{"name":"api_latency","timestamp":%d,"value":1,"dimensions":{"customer_id":"b1","tenant_id":"acme"}}]}`, ms(-time.Minute)))
	if code != 200 {
		t.Fatalf("globex write: %d %v", code, v)
	}
	octxB := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+b, "x-luminate-tenant", "acme")
	if _, err := pmetricotlp.NewGRPCClient(conn).Export(octxB, otlpRequest("orders_total", now, map[string]float64{"b1": 3}, "acme")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "globex's OTLP points in globex", func() bool { got, _ := sumBy(t, in, b, "orders_total", "customer_id"); return got["b1"] == 3 })

	// leak reports any of acme's unique strings in an answer to globex (except those globex
	// named in its own request).
	leak := func(what string, v any) {
		t.Helper()
		s := jsonOf(v)
		for _, secret := range []string{"acme_cust_77", "/acme-only-endpoint", "acme_only_key", "acme_secret_metric", "100123", "200456", "300579"} {
			if strings.Contains(s, secret) && !strings.Contains(what, secret) {
				t.Errorf("%s shows acme's %q: %s", what, secret, s)
			}
		}
	}
	tr := fmt.Sprintf(`"timeRange":{"start":%d,"end":%d}`, ms(-time.Hour), ms(time.Minute))
	for name, q := range map[string]string{
		"aggregate":          `{"queryType":"aggregate","metricName":"api_latency",` + tr + `,"aggregation":"sum","groupBy":["customer_id"]}`,
		"aggregate interval": `{"queryType":"aggregate","metricName":"api_latency",` + tr + `,"aggregation":"max","interval":"1m","groupBy":["customer_id"]}`,
		"range raw":          `{"queryType":"range","metricName":"api_latency",` + tr + `}`,
		"range interval":     `{"queryType":"range","metricName":"api_latency",` + tr + `,"interval":"1m","groupBy":["customer_id"]}`,
		"rate":               `{"queryType":"rate","metricName":"api_latency",` + tr + `,"groupBy":["customer_id"]}`,
		"filter tenant_id":   `{"queryType":"aggregate","metricName":"api_latency",` + tr + `,"aggregation":"count","filters":{"tenant_id":"acme"}}`,
		"filter regex":       `{"queryType":"aggregate","metricName":"api_latency",` + tr + `,"aggregation":"count","filters":{"customer_id":{"regex":".*"}}}`,
	} {
		code, v := query(t, in, b, q)
		if code != 200 {
			t.Errorf("globex %s: %d %v", name, code, v)
			continue
		}
		leak("globex "+name, v)
		if ps, _ := v["pointsScanned"].(float64); ps != 1 {
			t.Errorf("globex %s scanned %v points, want its own 1", name, v["pointsScanned"])
		}
	}
	for _, m := range []string{"acme_secret_metric", "requests_total"} {
		for _, kind := range []string{`"queryType":"aggregate","aggregation":"sum"`, `"queryType":"range"`, `"queryType":"rate"`} {
			if code, v := query(t, in, b, `{"metricName":"`+m+`",`+tr+`,`+kind+`}`); code != 404 || errCode(v) != "NOT_FOUND" {
				t.Errorf("globex query of acme-only %s (%s): %d %v", m, kind, code, v)
			}
		}
	}
	if got, _ := sumBy(t, in, b, "orders_total", "customer_id"); len(got) != 1 || got["b1"] != 3 {
		t.Errorf("globex orders_total: %v (acme's a1 must not be there)", got)
	}

	// Discovery, cardinality, limits.
	for _, c := range []struct {
		path string
		want int
	}{
		{"/api/v1/metrics", 200},
		{"/api/v1/metrics?tenant=acme&tenant_id=acme", 200},
		{"/api/v1/metrics/api_latency/dimensions", 200},
		{"/api/v1/metrics/api_latency/dimensions/customer_id/values", 200},
		{"/api/v1/metrics/api_latency/dimensions/acme_only_key/values", 200},
		{"/api/v1/metrics/acme_secret_metric/dimensions", 404},
		{"/api/v1/metrics/acme_secret_metric/dimensions/k/values", 404},
		{"/api/v1/cardinality", 200},
		{"/api/v1/cardinality?metric=api_latency&topN=100", 200},
		{"/api/v1/cardinality?metric=acme_secret_metric", 404},
		{"/api/v1/limits?topN=100", 200},
		{"/api/v1/admin/retention", 200},
	} {
		code, _, v := call(t, http.MethodGet, in.api+c.path, b, "")
		if code != c.want {
			t.Errorf("globex GET %s: %d %v, want %d", c.path, code, v, c.want)
		}
		leak("globex GET "+c.path, v)
		if c.want == 200 && strings.Contains(jsonOf(v), `"seriesCount":2`) {
			t.Errorf("globex GET %s counts acme's series: %v", c.path, v)
		}
	}
	_, _, vals := call(t, http.MethodGet, in.api+"/api/v1/metrics/api_latency/dimensions/customer_id/values", b, "")
	if jsonOf(vals["values"]) != `["b1"]` {
		t.Errorf("globex customer_id values %v", vals)
	}
	_, _, lim := call(t, http.MethodGet, in.api+"/api/v1/limits", b, "")
	if u := lim["usage"].(map[string]any); u["activeSeries"] != 2.0 || u["metrics"] != 2.0 {
		t.Errorf("globex usage %v, want its own 2 series in 2 metrics", u)
	}
	_, _, card := call(t, http.MethodGet, in.api+"/api/v1/cardinality", b, "")
	if card["totalSeries"] != 2.0 {
		t.Errorf("globex cardinality %v", card)
	}

	// Admin: globex's policy and deletes touch globex only.
	if code, _, v := call(t, http.MethodPost, in.api+"/api/v1/admin/retention", b, `{"metricName":"*","retentionDays":1}`); code != 200 {
		t.Errorf("globex retention: %d %v", code, v)
	}
	for _, m := range []string{"acme_secret_metric", "requests_total"} {
		code, _, v := call(t, http.MethodDelete, in.api+"/api/v1/admin/metrics/"+m+"?before="+now.Add(time.Hour).UTC().Format(time.RFC3339), b, "")
		if code != 404 || errCode(v) != "NOT_FOUND" {
			t.Errorf("globex delete of acme's %s: %d %v", m, code, v)
		}
	}
	code, _, v = call(t, http.MethodDelete, in.api+"/api/v1/admin/metrics/api_latency?before="+now.Add(time.Hour).UTC().Format(time.RFC3339), b, "")
	if code != 200 || v["metricName"] != "api_latency" {
		t.Errorf("globex delete of its api_latency: %d %v", code, v)
	}
	if code, v := query(t, in, b, `{"queryType":"aggregate","metricName":"api_latency",`+tr+`,"aggregation":"count"}`); code != 404 {
		t.Errorf("globex api_latency after its delete: %d %v", code, v)
	}

	// acme: everything intact.
	code, v = query(t, in, a, `{"queryType":"aggregate","metricName":"api_latency",`+tr+`,"aggregation":"sum","groupBy":["customer_id"]}`)
	if code != 200 || jsonOf(v["results"]) != `[{"count":2,"groupKey":{"customer_id":"acme_cust_77"},"value":300579}]` {
		t.Errorf("acme api_latency after globex's delete: %d %v", code, v)
	}
	if got, _ := sumBy(t, in, a, "acme_secret_metric", "k"); got["v"] != 42 {
		t.Errorf("acme acme_secret_metric: %v", got)
	}
	if got, _ := sumBy(t, in, a, "orders_total", "customer_id"); len(got) != 1 || got["acme_cust_77"] != 7 {
		t.Errorf("acme orders_total: %v (globex's spoofed export must not be there)", got)
	}
	_, _, pol := call(t, http.MethodGet, in.api+"/api/v1/admin/retention", a, "")
	if jsonOf(pol["policies"]) != `[{"metricName":"api_latency","retentionDays":30}]` {
		t.Errorf("acme policies: %v", pol)
	}
	_, _, lim = call(t, http.MethodGet, in.api+"/api/v1/limits", a, "")
	if u := lim["usage"].(map[string]any); u["activeSeries"] != 3.0 || u["metrics"] != 3.0 {
		t.Errorf("acme usage %v, want 3 series in 3 metrics", u)
	}
}

// attackTokens builds the tokens of the token attacks, signed with the server's secret where a
// signature is not the attack.
type claims = jwt.MapClaims

func hs256(t *testing.T, key []byte, c claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rs256(t *testing.T, key *rsa.PrivateKey, c claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func valid(scopes ...string) claims {
	return claims{"tenant_id": "acme", "scopes": scopes, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
}

func with(c claims, kv ...any) claims {
	out := claims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// endpoint is one authenticated route and the scope it needs.
type endpoint struct {
	method, path, scope, body string
}

func endpoints(now time.Time) []endpoint {
	q := `{"queryType":"aggregate","metricName":"m","timeRange":{"relative":"1h"},"aggregation":"avg"}`
	w := fmt.Sprintf(`{"metrics":[{"name":"m","timestamp":%d,"value":1}]}`, now.UnixMilli())
	return []endpoint{
		{http.MethodPost, "/api/v1/query", "read", q},
		{http.MethodGet, "/api/v1/metrics", "read", ""},
		{http.MethodGet, "/api/v1/metrics/m/dimensions", "read", ""},
		{http.MethodGet, "/api/v1/metrics/m/dimensions/k/values", "read", ""},
		{http.MethodGet, "/api/v1/cardinality", "read", ""},
		{http.MethodGet, "/api/v1/limits", "read", ""},
		{http.MethodPost, "/api/v1/write", "write", w},
		{http.MethodPost, "/api/v1/admin/retention", "admin", `{"metricName":"m","retentionDays":7}`},
		{http.MethodGet, "/api/v1/admin/retention", "admin", ""},
		{http.MethodDelete, "/api/v1/admin/metrics/m?before=" + now.UTC().Format(time.RFC3339), "admin", ""},
	}
}

// TestTokenAttacks sends the attacks of the issue through HTTP to every authenticated endpoint
// (and OTLP over HTTP and gRPC): each gets the documented status and code, and a valid token
// of the right scope passes.
func TestTokenAttacks(t *testing.T) {
	in := startCollector(t, t.TempDir(), freePorts(t))
	defer in.stop(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, valid("read", "write", "admin")).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	all := []string{"read", "write", "admin"}
	attacks := []struct {
		name, tok string
		status    int
		code      string
	}{
		{"alg none", none, 401, "INVALID_TOKEN"},
		{"HS256 with the wrong secret", hs256(t, []byte("another-secret-of-at-least-32-bytes!!"), valid(all...)), 401, "INVALID_TOKEN"},
		{"RS256 to an HS256 server", rs256(t, rsaKey, valid(all...)), 401, "INVALID_TOKEN"},
		{"expired", hs256(t, []byte(secret), with(valid(all...), "exp", now.Add(-2*time.Minute).Unix())), 401, "TOKEN_EXPIRED"},
		{"not yet valid", hs256(t, []byte(secret), with(valid(all...), "nbf", now.Add(5*time.Minute).Unix())), 401, "INVALID_TOKEN"},
		{"missing tenant_id", hs256(t, []byte(secret), with(valid(all...), "tenant_id", nil)), 401, "INVALID_TOKEN"},
		{"empty tenant_id", hs256(t, []byte(secret), with(valid(all...), "tenant_id", "")), 401, "INVALID_TOKEN"},
		{"missing exp", hs256(t, []byte(secret), with(valid(all...), "exp", nil)), 401, "INVALID_TOKEN"},
		{"tampered payload", tamper(hs256(t, []byte(secret), valid("read"))), 401, "INVALID_TOKEN"},
		{"garbage", "not.a.jwt", 401, "INVALID_TOKEN"},
	}
	for _, ep := range endpoints(now) {
		for _, at := range attacks {
			code, _, v := call(t, ep.method, in.api+ep.path, at.tok, ep.body)
			if code != at.status || errCode(v) != at.code {
				t.Errorf("%s %s with %s: %d %v, want %d %s", ep.method, ep.path, at.name, code, v, at.status, at.code)
			}
		}
		// No header, and a header that is not Bearer.
		if code, _, v := call(t, ep.method, in.api+ep.path, "", ep.body); code != 401 || errCode(v) != "UNAUTHORIZED" {
			t.Errorf("%s %s without a token: %d %v", ep.method, ep.path, code, v)
		}
		if code, _, v := call(t, ep.method, in.api+ep.path, "", ep.body, "Authorization", "Basic YWxhZGRpbjpvcGVu"); code != 401 || errCode(v) != "UNAUTHORIZED" {
			t.Errorf("%s %s with Basic auth: %d %v", ep.method, ep.path, code, v)
		}
		// Wrong scope: every scope but the one needed (admin implies neither read nor write).
		var others []string
		for _, s := range all {
			if s != ep.scope {
				others = append(others, s)
			}
		}
		code, _, v := call(t, ep.method, in.api+ep.path, hs256(t, []byte(secret), valid(others...)), ep.body)
		e, _ := v["error"].(map[string]any)
		d, _ := e["details"].(map[string]any)
		if code != 403 || errCode(v) != "FORBIDDEN" || d["requiredScope"] != ep.scope || jsonOf(d["scopes"]) != jsonOf(others) {
			t.Errorf("%s %s with scopes %v: %d %v", ep.method, ep.path, others, code, v)
		}
		// The right scope passes authentication (the answer may be 404 for the unknown metric).
		code, _, v = call(t, ep.method, in.api+ep.path, hs256(t, []byte(secret), valid(ep.scope)), ep.body)
		if code == 401 || code == 403 {
			t.Errorf("%s %s with scope %s: %d %v", ep.method, ep.path, ep.scope, code, v)
		}
	}

	// OTLP: every failure is 401 over HTTP and Unauthenticated over gRPC; a token without the
	// write scope is PermissionDenied over gRPC (api.md decisions).
	pb, _ := otlpRequest("m", now, map[string]float64{"c": 1}, "").MarshalProto()
	conn, err := grpc.NewClient(in.otlpGRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	grpcExport := func(tok string) error {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
		_, err := pmetricotlp.NewGRPCClient(conn).Export(ctx, otlpRequest("m", now, map[string]float64{"c": 1}, ""))
		return err
	}
	for _, at := range attacks {
		if code, _ := post(t, in.otlpHTTP+"/v1/metrics", at.tok, "application/x-protobuf", pb); code != 401 {
			t.Errorf("OTLP/HTTP with %s: %d", at.name, code)
		}
		if st, _ := status.FromError(grpcExport(at.tok)); st.Code() != codes.Unauthenticated {
			t.Errorf("OTLP/gRPC with %s: %v", at.name, st)
		}
	}
	readOnly := hs256(t, []byte(secret), valid("read", "admin"))
	if code, body := post(t, in.otlpHTTP+"/v1/metrics", readOnly, "application/x-protobuf", pb); code != 401 || !strings.Contains(string(body), "FORBIDDEN") {
		t.Errorf("OTLP/HTTP without the write scope: %d %s", code, body)
	}
	if st, _ := status.FromError(grpcExport(readOnly)); st.Code() != codes.PermissionDenied {
		t.Errorf("OTLP/gRPC without the write scope: %v", st)
	}
	if err := grpcExport(hs256(t, []byte(secret), valid("write"))); err != nil {
		t.Errorf("OTLP/gRPC with a valid token: %v", err)
	}
}

// tamper flips the tenant in a token's payload without re-signing it.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	payload = bytes.Replace(payload, []byte(`"acme"`), []byte(`"evil"`), 1)
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

// TestTokenAttacksOnRS256Server: a server that only holds an RSA public key refuses an HS256
// token, including one "signed" with the public key's own bytes as the HMAC secret (key
// confusion), and accepts a valid RS256 token.
func TestTokenAttacksOnRS256Server(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	keyFile := filepath.Join(t.TempDir(), "keys.pem")
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	in := startCollectorWith(t, t.TempDir(), freePorts(t),
		`yaml:extensions::luminateauth::secret: ""`,
		"yaml:extensions::luminateauth::public_keys_file: "+keyFile)
	defer in.stop(t)
	for _, c := range []struct {
		name, tok string
		status    int
		code      string
	}{
		{"HS256 to an RS256 server", hs256(t, []byte(secret), valid("read")), 401, "INVALID_TOKEN"},
		{"HS256 keyed with the public key (key confusion)", hs256(t, pemBytes, valid("read")), 401, "INVALID_TOKEN"},
		{"RS256 by another key", rs256(t, mustKey(t), valid("read")), 401, "INVALID_TOKEN"},
		{"RS256 expired", rs256(t, key, with(valid("read"), "exp", time.Now().Add(-time.Hour).Unix())), 401, "TOKEN_EXPIRED"},
		{"RS256 without tenant_id", rs256(t, key, with(valid("read"), "tenant_id", nil)), 401, "INVALID_TOKEN"},
		{"RS256 valid", rs256(t, key, valid("read")), 200, ""},
	} {
		code, _, v := call(t, http.MethodGet, in.api+"/api/v1/metrics", c.tok, "")
		if code != c.status || errCode(v) != c.code {
			t.Errorf("%s: %d %v, want %d %s", c.name, code, v, c.status, c.code)
		}
	}
}

func mustKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestLimitsEndToEnd runs the shipped config with per-tenant overrides: a tenant over its
// points/s gets 429 with the headers while another tenant writing at the same time is not
// affected (JSON and OTLP); a tenant at its series limit keeps writing its series and gets
// CARDINALITY_EXCEEDED for new ones, through JSON (per item, 207) and OTLP (dropped as a
// permanent error and counted); /api/v1/limits and /metrics show it.
func TestLimitsEndToEnd(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) { testLimitsEndToEnd(t, eng.config(t)...) })
	}
}

func testLimitsEndToEnd(t *testing.T, storage ...string) {
	in := startCollectorWith(t, t.TempDir(), freePorts(t), append(storage,
		"yaml:extensions::luminatelimits::limits::overrides::slow::points_per_second: 10",
		"yaml:extensions::luminatelimits::limits::overrides::small::max_series_per_tenant: 3")...)
	defer in.stop(t)
	slow, fast, small := token(t, "slow", "read", "write"), token(t, "fast", "read", "write"), token(t, "small", "read", "write")
	now := time.Now()
	batch := func(metric string, n int, label string) string {
		var b strings.Builder
		b.WriteString(`{"metrics":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"name":%q,"timestamp":%d,"value":%d,"dimensions":{"s":"%s%d"}}`, metric, now.UnixMilli(), i, label, i)
		}
		b.WriteString(`]}`)
		return b.String()
	}

	// Points/s over JSON.
	if code, _, v := call(t, http.MethodPost, in.api+"/api/v1/write", slow, batch("m", 20, "a")); code != 200 {
		t.Fatalf("slow, within its burst of 20: %d %v", code, v)
	}
	type answer struct {
		code int
		hdr  http.Header
		v    map[string]any
	}
	fastDone := make(chan answer)
	go func() {
		code, hdr, v := call(t, http.MethodPost, in.api+"/api/v1/write", fast, batch("m", 5000, "f"))
		fastDone <- answer{code, hdr, v}
	}()
	code, hdr, v := call(t, http.MethodPost, in.api+"/api/v1/write", slow, batch("m", 15, "b")) // 1.5 s to refill
	fa := <-fastDone
	if code != 429 || errCode(v) != "RATE_LIMIT_EXCEEDED" || !strings.Contains(jsonOf(v), "limits.points_per_second") {
		t.Errorf("slow over its points/s: %d %v", code, v)
	}
	if hdr.Get("X-RateLimit-Limit") != "10" || hdr.Get("Retry-After") == "" || hdr.Get("X-RateLimit-Remaining") == "" || hdr.Get("X-RateLimit-Reset") == "" {
		t.Errorf("429 headers: %v", hdr)
	}
	if reset, err := strconv.ParseInt(hdr.Get("X-RateLimit-Reset"), 10, 64); err != nil || reset < now.Unix() || reset > now.Unix()+10 {
		t.Errorf("X-RateLimit-Reset %q is not a Unix time of the next seconds", hdr.Get("X-RateLimit-Reset"))
	}
	if fa.code != 200 || fa.v["accepted"] != 5000.0 {
		t.Errorf("fast, at the same time: %d %v", fa.code, fa.v)
	}

	// Points/s over OTLP gRPC: the same bucket (slow has used it up).
	conn, err := grpc.NewClient(in.otlpGRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	export := func(tok, metric string, values map[string]float64) error {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
		_, err := pmetricotlp.NewGRPCClient(conn).Export(ctx, otlpRequest(metric, now, values, ""))
		return err
	}
	vals := map[string]float64{}
	for i := range 150 {
		vals[fmt.Sprint("c", i)] = 1
	}
	if st, _ := status.FromError(export(slow, "o", vals)); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "err-luminate-points-per-second") {
		t.Errorf("slow over OTLP: %v", st)
	}
	if err := export(fast, "o", vals); err != nil {
		t.Errorf("fast over OTLP: %v", err)
	}

	// Series limit (3) over JSON: 2 series, then 3 more of which 1 fits.
	if code, _, v := call(t, http.MethodPost, in.api+"/api/v1/write", small, batch("s", 2, "x")); code != 200 {
		t.Fatalf("small, 2 series: %d %v", code, v)
	}
	code, _, v = call(t, http.MethodPost, in.api+"/api/v1/write", small, batch("s", 5, "x"))
	errs, _ := v["errors"].([]any)
	if code != 207 || v["accepted"] != 3.0 || len(errs) != 2 {
		t.Fatalf("small, 5 items of which 2 existing series, 1 fits: %d %v", code, v)
	}
	for _, e := range errs {
		e := e.(map[string]any)
		if e["code"] != "CARDINALITY_EXCEEDED" || !strings.Contains(e["error"].(string),
			"per-tenant series limit of 3 exceeded (err-luminate-max-series-per-tenant); raise limits.max_series_per_tenant") {
			t.Errorf("item error %v", e)
		}
	}
	// The existing series keep flowing; a write of only new series is a 400 with the code.
	if code, _, v := call(t, http.MethodPost, in.api+"/api/v1/write", small, batch("s", 3, "x")); code != 200 {
		t.Errorf("small, existing series: %d %v", code, v)
	}
	if code, _, v := call(t, http.MethodPost, in.api+"/api/v1/write", small, batch("s", 2, "new")); code != 400 || errCode(v) != "CARDINALITY_EXCEEDED" {
		t.Errorf("small, only new series: %d %v", code, v)
	}

	// Series limit over OTLP (gRPC and HTTP): accepted by the receiver (the pipeline is queued),
	// the new series dropped as permanent and counted, the existing series stored.
	if err := export(small, "s", map[string]float64{"new1": 1}); err != nil {
		t.Errorf("OTLP gRPC export: %v", err)
	}
	pb, _ := otlpRequest("s", now.Add(time.Second), map[string]float64{"new2": 1}, "").MarshalProto()
	if code, body := post(t, in.otlpHTTP+"/v1/metrics", small, "application/x-protobuf", pb); code != 200 {
		t.Errorf("OTLP HTTP export: %d %s", code, body)
	}
	eventually(t, "OTLP cardinality refusals counted", func() bool {
		code, _, raw := call(t, http.MethodGet, in.api+"/metrics", "", "")
		return code == 200 && strings.Contains(raw["_raw"].(string), `luminate_points_rejected_total{path="otlp",reason="cardinality"} 2`)
	})
	_, _, card := call(t, http.MethodGet, in.api+"/api/v1/cardinality?metric=s&topN=10", small, "")
	if card["seriesCount"] != 3.0 || strings.Contains(jsonOf(card), "new") {
		t.Errorf("small's series after OTLP refusals: %v", card)
	}

	// /api/v1/limits shows the override and the usage.
	_, _, lim := call(t, http.MethodGet, in.api+"/api/v1/limits", small, "")
	if l := lim["limits"].(map[string]any); l["maxSeriesPerTenant"] != 3.0 || l["pointsPerSecond"] != 1e6 {
		t.Errorf("small's limits %v", l)
	}
	if u := lim["usage"].(map[string]any); u["activeSeries"] != 3.0 || jsonOf(u["seriesPerMetric"]) != `{"s":3}` {
		t.Errorf("small's usage %v", u)
	}

	// /metrics: requests by route template and status, points, rate limits, active series.
	_, _, raw := call(t, http.MethodGet, in.api+"/metrics", "", "")
	text := raw["_raw"].(string)
	for _, want := range []string{
		`luminate_http_requests_total{method="POST",route="/api/v1/write",status="429"} 1`,
		`luminate_http_requests_total{method="POST",route="/api/v1/write",status="207"} 1`,
		`luminate_rate_limited_total{limit="points_per_second"} 2`,
		`luminate_points_rejected_total{path="json",reason="rate_limited"} 15`,
		`luminate_points_rejected_total{path="otlp",reason="rate_limited"} 150`,
		`luminate_points_rejected_total{path="json",reason="cardinality"} 4`,
		`luminate_active_series{tenant="small"} 3`,
		`luminate_storage_write_duration_seconds_count`,
		`luminate_http_request_duration_seconds_bucket{method="GET",route="/api/v1/cardinality"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, "luminate_") && !strings.Contains(l, "_bucket") {
				t.Log(l)
			}
		}
	}
	var accepted float64
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, `luminate_points_accepted_total{path="json"}`) {
			accepted, _ = strconv.ParseFloat(strings.Fields(line)[1], 64)
		}
	}
	if accepted != 20+5000+2+3+3 {
		t.Errorf("json points accepted %v, want %d", accepted, 20+5000+2+3+3)
	}
	if i := slices.IndexFunc(strings.Split(text, "\n"), func(l string) bool { return strings.Contains(l, "/api/v1/metrics/m/") }); i >= 0 {
		t.Error("a raw path in the route labels")
	}
}

// TestSecretRotation runs the shipped config during a rotation (JWT_SECRET_PREVIOUS set): a
// token of the previous secret still writes and queries, over JSON and OTLP; a token of any
// other secret is refused with 401.
func TestSecretRotation(t *testing.T) {
	const previous = "the-previous-secret-of-this-test-0123456789"
	t.Setenv("JWT_SECRET_PREVIOUS", previous)
	in := startCollector(t, t.TempDir(), freePorts(t))
	defer in.stop(t)
	mint := func(key string) string {
		tok, err := auth.Mint(key, "rotating", []string{"read", "write"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	old, current, other := mint(previous), mint(secret), mint("some-other-secret-0123456789abcdef0123")
	now := time.Now().UnixMilli()
	for name, tok := range map[string]string{"previous": old, "current": current} {
		body := fmt.Sprintf(`{"metrics":[{"name":"rot","timestamp":%d,"value":1,"dimensions":{"by":%q}}]}`, now, name)
		if code, _, v := call(t, http.MethodPost, in.api+"/api/v1/write", tok, body); code != 200 {
			t.Errorf("write with a token of the %s secret: %d %v", name, code, v)
		}
	}
	if code, _, v := call(t, http.MethodPost, in.api+"/api/v1/write", other, `{"metrics":[]}`); code != 401 || errCode(v) != "INVALID_TOKEN" {
		t.Errorf("a token of another secret: %d %v, want 401 INVALID_TOKEN", code, v)
	}
	pb, _ := otlpRequest("rot_otlp", time.Now(), map[string]float64{"c": 1}, "").MarshalProto()
	if code, body := post(t, in.otlpHTTP+"/v1/metrics", old, "application/x-protobuf", pb); code != 200 {
		t.Errorf("OTLP with a token of the previous secret: %d %s", code, body)
	}
	got, code := sumBy(t, in, old, "rot", "by")
	if code != 200 || got["previous"] != 1 || got["current"] != 1 {
		t.Errorf("query with the previous secret's token: %d %v", code, got)
	}
}
