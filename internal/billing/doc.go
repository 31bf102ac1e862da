// Package billing holds the public webhook contract (v1): the event
// envelope, one snapshot type per kind, their validation and the request
// signature. Everything a billing system sends is checked here before the
// service stores or acts on it; docs/webhooks.md describes the same rules
// for integrators.
package billing
