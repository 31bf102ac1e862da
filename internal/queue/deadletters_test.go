package queue

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestDecodeLetterReadsMessageAndAttributes(t *testing.T) {
	sent := time.Date(2026, 11, 30, 8, 15, 0, 123e6, time.UTC)
	msg := types.Message{
		Body:          aws.String(`{"tenant":"acme","kind":"invoice","id":"inv_7","customer_id":"cus_1","version":3,"reason":"wake","attempt":2}`),
		ReceiptHandle: aws.String("rh-1"),
		Attributes:    map[string]string{"SentTimestamp": "1796026500123", "ApproximateReceiveCount": "6"},
	}
	l := decodeLetter("invoice", msg)
	if l.Tenant != "acme" || l.Kind != "invoice" || l.EntityID != "inv_7" || l.Version != 3 || l.Reason != "wake" ||
		l.ReceiveCount != 6 || !l.FirstSeenAt.Equal(sent) || l.receipt != "rh-1" || l.message.Attempt != 2 {
		t.Errorf("decoded %+v, want acme invoice/inv_7 v3 sent as wake, 6 receives, first seen %s", l, sent)
	}
}

func TestDecodeLetterKeepsWhatIsNoMessage(t *testing.T) {
	for _, body := range []string{"not json", `{"tenant":"acme"}`, `{"tenant":"acme","kind":"nonsense","id":"x"}`} {
		l := decodeLetter("defer", types.Message{Body: aws.String(body), ReceiptHandle: aws.String("rh")})
		if l.Reason != "undecodable" || l.Tenant != "" || l.Queue != "defer" {
			t.Errorf("%q decoded as %+v, want an undecodable letter of no tenant", body, l)
		}
	}
}
