package metrics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEmitWritesLinesCloudWatchReads(t *testing.T) {
	var buf bytes.Buffer
	buf.WriteString(`{"level":"INFO","msg":"not a metric"}` + "\n")
	w := New(&buf, func() time.Time { return time.UnixMilli(1_764_000_000_000) })
	if err := w.Emit(map[string]string{"Kind": "invoice"}, map[string]string{"tenant": "acme"},
		Value{EntitiesSynced, Count, 1}, Value{SyncLatency, Milliseconds, 840}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"Timestamp":1764000000000`) {
		t.Errorf("line %s lacks the timestamp", buf.String())
	}
	got, err := Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	dims := map[string]string{"Kind": "invoice"}
	want := []Datum{
		{Namespace: Namespace, Name: EntitiesSynced, Unit: Count, Value: 1, Dimensions: dims},
		{Namespace: Namespace, Name: SyncLatency, Unit: Milliseconds, Value: 840, Dimensions: dims},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestParseRefusesDeclaredMetricWithoutValue(t *testing.T) {
	line := `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"qbosync","Dimensions":[["Kind"]],"Metrics":[{"Name":"Warnings","Unit":"Count"}]}]},"Kind":"invoice"}`
	if _, err := Parse(strings.NewReader(line)); err == nil || !strings.Contains(err.Error(), "Warnings") {
		t.Fatalf("err = %v, want one naming the metric without a value", err)
	}
}

func TestNilWriterWritesNothing(t *testing.T) {
	var w *Writer
	if err := w.Emit(nil, nil, Value{QBORequests, Count, 1}); err != nil {
		t.Fatal(err)
	}
}
