package metrics

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Datum is one metric value read back from an EMF line.
type Datum struct {
	Namespace  string
	Name       string
	Unit       string
	Value      float64
	Dimensions map[string]string
}

// Parse reads the EMF lines of a log (other lines are skipped) and checks
// each as CloudWatch does: every metric and dimension it declares must be
// a member of the line, metric values numbers.
func Parse(r io.Reader) ([]Datum, error) {
	var out []Datum
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") || !strings.Contains(line, `"_aws"`) {
			continue
		}
		d, err := parseLine([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, d...)
	}
	return out, sc.Err()
}

func parseLine(line []byte) ([]Datum, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(line, &doc); err != nil {
		return nil, err
	}
	var meta struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	}
	if err := json.Unmarshal(doc["_aws"], &meta); err != nil {
		return nil, fmt.Errorf("_aws: %w", err)
	}
	if meta.Timestamp == 0 || len(meta.CloudWatchMetrics) == 0 {
		return nil, fmt.Errorf("_aws needs Timestamp and CloudWatchMetrics")
	}
	var out []Datum
	for _, cw := range meta.CloudWatchMetrics {
		if cw.Namespace == "" {
			return nil, fmt.Errorf("metric directive without a Namespace")
		}
		dims := map[string]string{}
		for _, set := range cw.Dimensions {
			for _, name := range set {
				var v string
				if err := json.Unmarshal(doc[name], &v); err != nil {
					return nil, fmt.Errorf("dimension %s is not a string member: %w", name, err)
				}
				dims[name] = v
			}
		}
		for _, m := range cw.Metrics {
			var v float64
			if err := json.Unmarshal(doc[m.Name], &v); err != nil {
				return nil, fmt.Errorf("metric %s is not a number member: %w", m.Name, err)
			}
			out = append(out, Datum{Namespace: cw.Namespace, Name: m.Name, Unit: m.Unit, Value: v, Dimensions: dims})
		}
	}
	return out, nil
}
