package billing_test

import (
	"fmt"
	"time"

	"github.com/qbosync/qbosync/internal/billing"
)

// The worked example of docs/webhooks.md.
func ExampleSign() {
	body := []byte(`{"id":"evt_1","type":"product.created","occurred_at":"2026-11-21T10:15:00Z","data":{"id":"prod_basic","version":1,"name":"Basic plan","active":true}}`)
	header := billing.Sign([]byte("whsec_demo"), time.Unix(1795256100, 0), body)
	fmt.Println(header)

	now := time.Date(2026, 11, 21, 10, 17, 0, 0, time.UTC) // two minutes later
	fmt.Println(billing.VerifySignature(header, body, [][]byte{[]byte("whsec_old"), []byte("whsec_demo")}, now))
	fmt.Println(billing.VerifySignature(header, body, [][]byte{[]byte("whsec_demo")}, now.Add(5*time.Minute)))
	// Output:
	// t=1795256100,v1=d70549006d348a693bd6705d33137f368f6a9b38b105a527e7c30e4f59c080fb
	// <nil>
	// invalid signature
}

func ExampleQuantity_MulAmount() {
	amount, _ := billing.Quantity("1.5").MulAmount(1999) // 2998.5 minor units
	fmt.Println(amount)
	// Output: 2999
}
