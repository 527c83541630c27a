package luminateexporter

import (
	"context"
	"math"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/luminate-metrics/luminate/internal/store/memstore"
)

func withMetadata(values ...string) context.Context {
	return client.NewContext(context.Background(), client.Info{
		Metadata: client.NewMetadata(map[string][]string{"X-Luminate-Tenant": values}),
	})
}

// TestTenant covers where the tenant comes from and when a resource is refused for it.
func TestTenant(t *testing.T) {
	tests := []struct {
		name       string
		attr       any // resource attribute value; nil: absent
		metadata   []string
		mutate     func(*Config)
		wantTenant string // "" means refused
		wantReason string
		wantMsg    string
	}{
		{name: "resource attribute", attr: "acme", wantTenant: "acme"},
		{name: "attribute and metadata agree", attr: "acme", metadata: []string{"acme"}, wantTenant: "acme"},
		{name: "metadata only", metadata: []string{"globex"}, wantTenant: "globex"},
		{name: "default tenant", mutate: func(c *Config) { c.DefaultTenant = "dev" }, wantTenant: "dev"},
		{name: "attribute beats default", attr: "acme", mutate: func(c *Config) { c.DefaultTenant = "dev" }, wantTenant: "acme"},
		{name: "no tenant", wantReason: "no_tenant",
			wantMsg: `no tenant: resource attribute "luminate.tenant_id" is missing, request metadata "x-luminate-tenant" is empty and default_tenant is not set`},
		{name: "empty attribute is missing", attr: "", wantReason: "no_tenant", wantMsg: "no tenant"},
		{name: "non-string attribute", attr: int64(42), wantReason: "no_tenant",
			wantMsg: `resource attribute "luminate.tenant_id" is a Int; the tenant must be a string`},
		{name: "mismatch", attr: "evil", metadata: []string{"acme"}, wantReason: "tenant_mismatch",
			wantMsg: `resource attribute "luminate.tenant_id" is "evil" but request metadata "x-luminate-tenant" is "acme"`},
		{name: "mismatch beats default", attr: "evil", metadata: []string{"acme"}, mutate: func(c *Config) { c.DefaultTenant = "dev" },
			wantReason: "tenant_mismatch", wantMsg: "is \"evil\" but"},
		{name: "metadata with two tenants", metadata: []string{"acme", "globex"}, wantReason: "tenant_mismatch",
			wantMsg: `request metadata "x-luminate-tenant" carries two tenants, "acme" and "globex"`},
		{name: "metadata check off", attr: "evil", metadata: []string{"acme"}, mutate: func(c *Config) { c.TenantMetadataKey = "" }, wantTenant: "evil"},
		{name: "custom attribute", metadata: nil, mutate: func(c *Config) { c.TenantAttribute = "tenant" }, wantReason: "no_tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startEnv(t, memstore.New(), tt.mutate)
			md, rm, ms := newMetrics("")
			switch v := tt.attr.(type) {
			case string:
				rm.Resource().Attributes().PutStr(tenantAttr, v)
			case int64:
				rm.Resource().Attributes().PutInt(tenantAttr, v)
			}
			dps := gauge(ms, "m")
			point(dps, 0, 1, "k", "a")
			point(dps, 1, 2, "k", "b")
			err := e.exp.ConsumeMetrics(withMetadata(tt.metadata...), md)
			if tt.wantTenant != "" {
				if err != nil {
					t.Fatal(err)
				}
				if n := len(rawPoints(t, e.st, tt.wantTenant, "m")); n != 2 {
					t.Fatalf("tenant %q has %d points, want 2", tt.wantTenant, n)
				}
				e.wantCounts(t, 2, nil)
				return
			}
			if err == nil || !consumererror.IsPermanent(err) {
				t.Fatalf("want a permanent error, got %v", err)
			}
			if !strings.Contains(err.Error(), tt.wantReason+": 2 points of 1 resources refused") || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q, want %s and %q", err, tt.wantReason, tt.wantMsg)
			}
			e.wantCounts(t, 0, map[string]int64{tt.wantReason: 2})
		})
	}
}

// TestTenantsInOnePush: resources of two tenants land in their own tenants; a refused resource
// does not stop the others; its error and a RejectedError travel together.
func TestTenantsInOnePush(t *testing.T) {
	e := startEnv(t, openBadger(t), nil)
	md, _, acme := newMetrics("acme")
	point(gauge(acme, "m"), 0, 1)
	point(gauge(addResource(md, "globex"), "m"), 0, 2)
	point(gauge(addResource(md, "acme"), "m"), 1, 3) // a second resource of acme: one appender
	orphan := addResource(md, "")
	point(gauge(orphan, "m"), 0, 4)
	point(gauge(orphan, "m"), 1, 5)
	point(gauge(addResource(md, "globex"), "bad"), 0, math.NaN())

	err := e.consume(t, md)
	rej := rejectedError(t, err)
	if len(rej.Rejections) != 1 || rej.Rejections[0].Metric != "bad" {
		t.Fatalf("rejections %+v", rej.Rejections)
	}
	if !strings.Contains(err.Error(), "no_tenant: 2 points of 1 resources refused") {
		t.Errorf("error %q lacks the tenant refusal", err)
	}
	for tenant, want := range map[string]int{"acme": 2, "globex": 1} {
		if n := len(rawPoints(t, e.st, tenant, "m")); n != want {
			t.Errorf("tenant %s has %d points, want %d", tenant, n, want)
		}
	}
	e.wantCounts(t, 3, map[string]int64{"no_tenant": 2, "invalid": 1})
}
