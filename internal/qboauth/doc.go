// Package qboauth connects a tenant to its QuickBooks Online company
// through Intuit's OAuth 2.0 flow, keeps the connection alive and ends it.
//
// Refreshes cannot race: one refresher per connection holds a DynamoDB
// lease, persists the rotated refresh token before the new access token is
// used, and the others wait and read what it saved. invalid_grant turns
// the connection into needs_reconnect with a warning for admins; entities
// stay queued and are sent again when an admin reconnects. Disconnecting
// revokes the grant at Intuit and keeps the links unless an admin confirms
// forgetting them; reconnecting to another company needs a confirmed reset.
//
// HTTP routes (OAuth function): POST /qbo/connect, GET /qbo/callback,
// GET /qbo/connection, POST /qbo/disconnect. Every route but the callback
// needs an admin token for the tenant it names; the callback is
// authenticated by its signed state.
package qboauth
