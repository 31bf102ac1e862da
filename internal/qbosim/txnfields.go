package qbosim

import (
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/qbosync/qbosync/internal/qbosim/money"
)

// txnDate settles TxnDate (today when absent) and refuses dates inside the
// closed period, both the new date and, on update, the old one.
func (c *company) txnDate(w *write) (string, error) {
	d := strings.TrimSpace(str(w.data, "TxnDate"))
	if d == "" {
		d = today(w.now)
	}
	d, ok := calendarDate(d)
	if !ok {
		return "", errBusiness("TxnDate %q is not a valid date (YYYY-MM-DD).", str(w.data, "TxnDate"))
	}
	w.data["TxnDate"] = d
	if err := c.checkPeriod(d); err != nil {
		return "", err
	}
	if w.old != nil {
		if err := c.checkPeriod(w.old.txn.date); err != nil {
			return "", err
		}
	}
	return d, nil
}

// calendarDate reads a date property the way QuickBooks does: an xs:date
// with or without a zone ("2026-11-30", "2026-11-30Z", "2026-11-30-08:00")
// is the calendar date written, the zone ignored; so is the date of a full
// timestamp ("2026-11-30T10:00:00Z").
func calendarDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 10 {
		return "", false
	}
	date, rest := s[:10], s[10:]
	if _, err := time.Parse("2006-01-02", date); err != nil {
		return "", false
	}
	switch {
	case rest == "", rest == "Z":
	case strings.HasPrefix(rest, "T"):
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			if _, err := time.Parse("2006-01-02T15:04:05", s); err != nil {
				return "", false
			}
		}
	default:
		if _, err := time.Parse("-07:00", rest); err != nil {
			return "", false
		}
	}
	return date, true
}

// txnCurrency settles CurrencyRef and ExchangeRate. Without multicurrency
// everything is in the home currency; with it, a transaction must be in its
// customer's currency.
func (c *company) txnCurrency(w *write, cust *entity) (string, *big.Rat, error) {
	home := c.prefs.HomeCurrency
	given := strings.ToUpper(refValue(w.data, "CurrencyRef"))
	if !c.prefs.MultiCurrency {
		if given != "" && given != home {
			return "", nil, errBusiness("Multicurrency is not enabled for this company, so CurrencyRef must be %s.", home)
		}
		w.data["CurrencyRef"] = ref(home, currencyName(home))
		delete(w.data, "ExchangeRate")
		return home, nil, nil
	}
	cur := given
	if cust != nil {
		custCur := refValue(cust.data, "CurrencyRef")
		if cur == "" {
			cur = custCur
		}
		if cur != custCur {
			return "", nil, errBusiness("The currency of the transaction (%s) must match the currency of the customer (%s).", cur, custCur)
		}
	}
	if cur == "" {
		cur = home
	}
	if currencyName(cur) == "" {
		return "", nil, errInvalidRef("CurrencyRef", "Currency", cur)
	}
	w.data["CurrencyRef"] = ref(cur, currencyName(cur))
	if cur == home {
		w.data["ExchangeRate"] = jsonNumber("1")
		return cur, nil, nil
	}
	text, ok := numberText(w.data, "ExchangeRate")
	if !ok {
		text = "1" // QuickBooks fills its own rate; the simulator has none.
		w.data["ExchangeRate"] = jsonNumber(text)
	}
	rate, err := money.ParseRat(text)
	if err != nil || rate.Sign() <= 0 {
		return "", nil, errBusiness("ExchangeRate %q must be a positive number.", text)
	}
	return cur, rate, nil
}

// docNumber settles DocNumber: numbered automatically unless the company
// uses custom transaction numbers, and unique per transaction type while the
// duplicate-number check is on (include=allowduplicatedocnum bypasses it).
func (c *company) docNumber(w *write, autoNumbered bool) (string, error) {
	dn := strings.TrimSpace(str(w.data, "DocNumber"))
	if strings.EqualFold(dn, "AUTO_GENERATE") || (dn == "" && autoNumbered && w.old == nil && !c.prefs.CustomTxnNumbers) {
		dn = c.nextDocNumber(w.kind.name)
	}
	if len(dn) > 21 {
		return "", errStringLength("DocNumber", 21)
	}
	if dn == "" {
		delete(w.data, "DocNumber")
		return "", nil
	}
	w.data["DocNumber"] = dn
	if !c.prefs.DuplicateDocNumCheck || w.allowDuplicateDocNumber || w.kind.name == "JournalEntry" {
		return dn, nil
	}
	for _, e := range c.entities[w.kind.name] {
		if w.old != nil && e.id == w.old.id {
			continue
		}
		if strings.EqualFold(e.txn.docNumber, dn) {
			return "", errDuplicateDocNumber(dn, w.kind.name, e.id)
		}
	}
	return dn, nil
}

func (c *company) nextDocNumber(kindName string) string {
	used := make(map[string]bool)
	for _, e := range c.entities[kindName] {
		used[e.txn.docNumber] = true
	}
	n := c.docSeq[kindName]
	if n == 0 {
		n = 1001
	}
	for used[strconv.Itoa(n)] {
		n++
	}
	c.docSeq[kindName] = n + 1
	return strconv.Itoa(n)
}
