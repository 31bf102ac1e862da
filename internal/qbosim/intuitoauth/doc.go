// Package intuitoauth is Intuit's OAuth 2.0 authorization server as the
// QuickBooks Online simulator serves it: the consent redirect, the token
// endpoint with authorization-code and refresh-token grants, token
// revocation, and the bearer check the Accounting API runs on every call.
//
// It mirrors the behaviour integrations depend on: authorization codes are
// single-use and short-lived, every refresh rotates the refresh token and the
// superseded one fails with invalid_grant, access tokens live one hour,
// refresh tokens have a rolling 101-day and a hard five-year lifetime, and
// responses use Intuit's JSON shapes and carry an intuit_tid header.
package intuitoauth
