package luminateexporter

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// requestTenant is what the request context says about the tenant: the value of
// tenant_metadata_key (set by the auth extension, kept by the batch processor's metadata_keys).
// conflict is set when the metadata carries two different tenants.
type requestTenant struct {
	value    string
	conflict string
}

func (e *luminateExporter) requestTenant(ctx context.Context) requestTenant {
	if e.cfg.TenantMetadataKey == "" {
		return requestTenant{}
	}
	var rt requestTenant
	for _, v := range client.FromContext(ctx).Metadata.Get(e.cfg.TenantMetadataKey) {
		switch {
		case v == "" || v == rt.value:
		case rt.value == "":
			rt.value = v
		default:
			rt.conflict = fmt.Sprintf("request metadata %q carries two tenants, %q and %q", e.cfg.TenantMetadataKey, rt.value, v)
		}
	}
	return rt
}

// tenantOf decides the tenant of one resource. The resource attribute is authoritative when
// the pipeline stamps it from the verified token; the metadata is a second, independent copy
// of the verified tenant, so a disagreement means the attribute came from the client (a
// pipeline without the stamping processor) and the points are refused rather than written
// under a tenant nobody verified. A refusal returns the reason and a message for the error.
func (e *luminateExporter) tenantOf(res pcommon.Resource, rt requestTenant) (string, reason, string) {
	if rt.conflict != "" {
		return "", reasonTenantMismatch, rt.conflict
	}
	attr := ""
	if v, ok := res.Attributes().Get(e.cfg.TenantAttribute); ok {
		if v.Type() != pcommon.ValueTypeStr {
			return "", reasonNoTenant, fmt.Sprintf("resource attribute %q is a %s; the tenant must be a string", e.cfg.TenantAttribute, v.Type())
		}
		attr = v.Str()
	}
	switch {
	case attr != "" && rt.value != "" && attr != rt.value:
		return "", reasonTenantMismatch, fmt.Sprintf("resource attribute %q is %q but request metadata %q is %q; stamp the tenant from the verified token before batching (resource processor, from_context: auth.tenant_id)",
			e.cfg.TenantAttribute, attr, e.cfg.TenantMetadataKey, rt.value)
	case attr != "":
		return attr, 0, ""
	case rt.value != "":
		return rt.value, 0, ""
	case e.cfg.DefaultTenant != "":
		return e.cfg.DefaultTenant, 0, ""
	}
	return "", reasonNoTenant, fmt.Sprintf("no tenant: resource attribute %q is missing, request metadata %q is empty and default_tenant is not set",
		e.cfg.TenantAttribute, e.cfg.TenantMetadataKey)
}
