// Package store keeps the service's state in one DynamoDB table: tenants,
// QBO connections, billing snapshots, links to QBO objects, warnings,
// dependency edges and webhook event ids. Every key starts with the tenant,
// so no call can reach another tenant's items. The types it keeps are
// package record's.
package store
