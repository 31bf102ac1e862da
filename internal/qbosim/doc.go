// Package qbosim is a QuickBooks Online Accounting API v3 that runs in
// process: companies with a realistic chart of accounts, the entities a
// billing sync writes (Customer, Item, Account, Invoice, Payment, CreditMemo,
// RefundReceipt, SalesReceipt, JournalEntry, PaymentMethod), queries, batch
// and change data capture, all answering in Intuit's JSON shapes.
//
// It is deliberately strict: properties Intuit's schema does not define are
// rejected, references must exist and be active, SyncTokens must be current,
// names must be unique, books must balance, closed periods stay closed and
// every request counts against the realm's rate and concurrency limits. Money
// is kept in exact cents and the bookkeeping follows QuickBooks: invoice and
// credit memo balances move when payments link them, payments carry their
// unapplied amount, voids zero a document and release its links.
//
// A control surface under /_sim creates companies, changes preferences,
// injects faults and exposes a ledger so tests can prove the books.
package qbosim
