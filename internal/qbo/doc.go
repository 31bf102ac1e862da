// Package qbo is a client for the QuickBooks Online Accounting API v3.
//
// It speaks Intuit's JSON: entity types carry exactly the property names of
// Intuit's schema (every field omitempty, amounts as json.Number so money
// is never a float), and every call pins minorversion. Writes take a
// requestid so that a retry of the same logical write is answered by QBO
// from its replay cache instead of being executed twice.
//
// The client makes one attempt per call and never manages tokens: the
// *http.Client given to New carries the OAuth 2.0 bearer token (for
// example an oauth2.Transport). Failures come back as *Error, whose methods
// sort them into the classes a caller retries differently: Throttled,
// AuthFailed, Stale, Temporary and Validation.
package qbo
