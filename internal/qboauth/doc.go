// Package qboauth connects a tenant to its QuickBooks Online company through
// Intuit's OAuth 2.0 flow and hands out fresh access tokens, persisting
// every rotated refresh token before the new access token is used.
package qboauth
