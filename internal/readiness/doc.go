// Package readiness checks a tenant's QuickBooks company against what the
// sync needs — numbering, automatic application of credits and payments,
// closed books, sales tax, currencies, the chosen ledgers — and reports
// what will break syncing before it does. It runs at connect and hourly;
// the report is stored per tenant for the admin API.
package readiness
