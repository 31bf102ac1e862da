package record

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// legacyRefundPrefix keys a refund in the Extra of links written before
// Link.Refunds existed: "refund:<refund id>" → "<journal entry id>|<amount
// in minor units>".
const legacyRefundPrefix = "refund:"

// RefundEntries returns the refunds recorded on a payment's link. A link
// whose Refunds is empty is read in the older form, from Extra, so links
// stored before the typed field keep their refunds; a malformed old entry
// is an error naming it rather than a refund silently dropped.
func (l Link) RefundEntries() (map[string]RefundEntry, error) {
	if len(l.Refunds) > 0 {
		return maps.Clone(l.Refunds), nil
	}
	out := map[string]RefundEntry{}
	for k, v := range l.Extra {
		id, ok := strings.CutPrefix(k, legacyRefundPrefix)
		if !ok {
			continue
		}
		jid, amt, _ := strings.Cut(v, "|")
		n, err := strconv.ParseInt(amt, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("refund %s on the link of %s %s: amount %q: %w", id, l.Kind, l.ID, amt, err)
		}
		out[id] = RefundEntry{JournalEntryID: jid, Amount: n}
	}
	return out, nil
}

// SetRefunds records refunds as the link's typed field and drops any left
// in Extra's older form, so a link once rewritten holds one of them only.
func (l *Link) SetRefunds(refunds map[string]RefundEntry) {
	l.Extra = maps.Clone(l.Extra) // the caller's copy of the link may share it
	for k := range l.Extra {
		if strings.HasPrefix(k, legacyRefundPrefix) {
			delete(l.Extra, k)
		}
	}
	l.Refunds = nil
	if len(refunds) > 0 {
		l.Refunds = maps.Clone(refunds)
	}
}
