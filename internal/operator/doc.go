// Package operator is the provisioning API for the service's operators
// (tokens with role "operator"): create and list tenants, and create,
// rotate and retire their webhook signing secrets. It reads no tenant's
// books, and tenant admins' tokens are refused on every route.
//
// Routes (JSON; served by the admin function under /api/v1/operator/):
//
//	GET    /api/v1/operator/tenants                          list tenants
//	POST   /api/v1/operator/tenants                          {"id","name"} → 201, the first secret shown once
//	GET    /api/v1/operator/tenants/{tenant}                 one tenant, its secrets' ids (never values)
//	POST   /api/v1/operator/tenants/{tenant}/webhook-secrets → 201, a second active secret shown once
//	DELETE /api/v1/operator/tenants/{tenant}/webhook-secrets/{id} → 204, retire a secret (not the last)
//	PUT    /api/v1/operator/tenants/{tenant}/shared-companies/{realm} → 200, let the tenant share a company
//	GET    /api/v1/operator/dead-letters                     every tenant's dead letters
//
// Routing uses http.ServeMux patterns (apijson.Router); errors are the
// common apijson.Error body.
package operator
