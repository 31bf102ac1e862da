package admin

import (
	"strings"

	"github.com/qbosync/qbosync/internal/store"
)

// Explanation is a warning in plain language: why QuickBooks refused and
// what the admin does about it.
type Explanation struct {
	Cause string `json:"cause"`
	Fix   string `json:"fix"`
}

// explanations of QuickBooks' common fault codes.
var explanations = map[string]Explanation{
	"6240": {
		Cause: "Another customer, vendor or employee in QuickBooks already uses this name. QuickBooks names must be unique across all of them, inactive ones included.",
		Fix:   "Rename or merge the other record in QuickBooks, or use Connect customer to link this customer to the existing QuickBooks customer. Then resend.",
	},
	"6140": {
		Cause: "QuickBooks already has a transaction with this number, and the company warns about duplicate numbers.",
		Fix:   "Renumber the other transaction in QuickBooks, or turn off \"Warn if duplicate number is used\" (Account and Settings › Advanced). Then resend.",
	},
	"6210": {
		Cause: "The document is dated inside QuickBooks' closed books: the period is locked against changes through the API.",
		Fix:   "Move the closing date in QuickBooks (Account and Settings › Advanced › Close the books) and resend, or dismiss this warning and book an adjustment in the open period.",
	},
	"610": {
		Cause: "Something the document uses (a customer, item, account or payment method) is inactive or deleted in QuickBooks.",
		Fix:   "Make that record active again in QuickBooks, or choose another account or item in settings. Then resend.",
	},
	"2500": {
		Cause: "The document refers to a QuickBooks record that does not exist: it was deleted, or belongs to another company.",
		Fix:   "Check that the ledgers in settings point at existing accounts. If a customer or product was deleted in QuickBooks, resend it first, then this entity.",
	},
	"2010": {
		Cause: "QuickBooks does not accept one of the properties sent; the element names it.",
		Fix:   "This is a mapping problem on our side. Report it with the intuit_tid below; dismiss the warning if the document is not needed in QuickBooks.",
	},
	"2020": {
		Cause: "A property QuickBooks requires is missing from what was sent.",
		Fix:   "Check the entity in billing has every required field (the element names it), then resend. Report it with the intuit_tid if it does.",
	},
	"6000": {
		Cause: "QuickBooks refused the document for one of its business rules; its detail names the rule, most often sales tax or amounts.",
		Fix:   "Read QuickBooks' detail below, correct the setup in QuickBooks (tax rates, items) or the document in billing, then resend.",
	},
	"6430": {
		Cause: "An item or line points to an account whose type QuickBooks does not allow there (for example Accounts Receivable on an item).",
		Fix:   "Choose ledgers of the right type in settings, then resend.",
	},
	"620": {
		Cause: "The payment or credit refers to a document of another customer in QuickBooks (often after customers were merged).",
		Fix:   "Check the customer of the linked invoice in QuickBooks matches billing's, then resend.",
	},
	"5010": {
		Cause: "Someone changed this record in QuickBooks while the sync was updating it.",
		Fix:   "Resend: the sync reads the current record first.",
	},
	"3200": {
		Cause: "QuickBooks refused the authorization: the connection expired or was revoked.",
		Fix:   "Reconnect QuickBooks; queued entities sync after reconnecting.",
	},
	"3100": {
		Cause: "QuickBooks refused the authorization for this company.",
		Fix:   "Reconnect QuickBooks with a user who has admin rights in the company; queued entities sync after reconnecting.",
	},
}

// Explain turns a warning into a cause and a fix. QuickBooks' code decides
// where it is specific; closed books, currency and tax are also recognised
// from the text, since QuickBooks reports them under several codes.
// Warnings the sync wrote itself are plain language already: nothing is added.
func Explain(w store.Warning) Explanation {
	text := strings.ToLower(w.Message + " " + w.Detail)
	code := strings.TrimLeft(w.Code, "0")
	switch {
	case w.Code == "drifted": // reconciliation's, not QuickBooks'
		return Explanation{
			Cause: "Someone changed, voided or deleted this object in QuickBooks after the sync wrote it, so QuickBooks no longer says what billing says.",
			Fix:   "Push billing's version to write it into QuickBooks again, or accept QuickBooks' version with a reason (kept in the audit log). Reconciliation checks again every hour.",
		}
	case strings.Contains(text, "period closed") || strings.Contains(text, "period has closed"):
		return explanations["6210"]
	case code == "5010":
		return explanations["5010"]
	case code == "3200" || code == "3100" || strings.Contains(text, "authenticationfailed"):
		if code == "" {
			code = "3200"
		}
		return explanations[code]
	case strings.Contains(text, "currency"):
		return Explanation{
			Cause: "The document's currency differs from its customer's currency in QuickBooks, or multicurrency is off in the company.",
			Fix:   "Turn on multicurrency in QuickBooks (Account and Settings › Advanced › Currency) or keep the customer's documents in one currency, then resend.",
		}
	case code != "2010" && code != "2020" && strings.Contains(text, "tax"):
		return Explanation{
			Cause: "QuickBooks' sales-tax setup does not match the document: a tax code or rate is missing, or QuickBooks recalculated the tax.",
			Fix:   "Check the tax mode and tax-code map in settings match the tax codes of the QuickBooks company, then resend.",
		}
	}
	if ex, ok := explanations[code]; ok {
		return ex
	}
	if code != "" {
		return Explanation{
			Cause: "QuickBooks refused the change; its own reason is shown above.",
			Fix:   "Correct the cause in QuickBooks or in billing, then resend. Quote the intuit_tid to Intuit support if the reason is unclear.",
		}
	}
	return Explanation{}
}
