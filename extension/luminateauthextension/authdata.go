package luminateauthextension

import (
	"slices"

	"github.com/luminate-metrics/luminate/internal/auth"
)

// Attribute names of AuthData, for `from_context: auth.tenant_id` in the resource processor.
const (
	AttrTenantID = "tenant_id"
	AttrScopes   = "scopes"
)

// AuthData is the client.AuthData the extension puts into client.Info.Auth.
// Note that batchprocessor drops client.Info.Auth; read the tenant from the resource
// attribute or from Metadata (metadata_key) after a batch.
type AuthData struct {
	tenantID string
	scopes   []string
}

func newAuthData(c *auth.Claims) *AuthData {
	s := slices.Clone(c.Scopes)
	if s == nil {
		s = []string{}
	}
	return &AuthData{tenantID: c.TenantID, scopes: s}
}

// TenantID is the verified tenant_id claim.
func (d *AuthData) TenantID() string { return d.tenantID }

// Scopes returns a copy of the verified scopes.
func (d *AuthData) Scopes() []string { return slices.Clone(d.scopes) }

// GetAttribute implements client.AuthData: "tenant_id" is a string, "scopes" a []string
// (a copy, so a consumer cannot change what the next one sees).
func (d *AuthData) GetAttribute(name string) any {
	switch name {
	case AttrTenantID:
		return d.tenantID
	case AttrScopes:
		return slices.Clone(d.scopes)
	}
	return nil
}

// GetAttributeNames implements client.AuthData.
func (d *AuthData) GetAttributeNames() []string { return []string{AttrTenantID, AttrScopes} }
