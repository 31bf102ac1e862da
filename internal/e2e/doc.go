// Package e2e holds the end-to-end tests: signed webhooks posted to the
// dev gateway, stored in DynamoDB Local, queued on the SQS emulator, synced
// by the real handlers to the QuickBooks simulator, and checked there over
// HTTP the way an accountant would check QuickBooks.
package e2e
