package localaws

import (
	"fmt"
	"testing"

	"github.com/qbosync/qbosync/internal/billing"
)

// alarmSpec is the part of an AWS::CloudWatch::Alarm the checks read.
type alarmSpec struct {
	Namespace          string `yaml:"Namespace"`
	MetricName         string `yaml:"MetricName"`
	Statistic          string `yaml:"Statistic"`
	ComparisonOperator string `yaml:"ComparisonOperator"`
	Threshold          Value  `yaml:"Threshold"`
	Dimensions         []struct {
		Name  string `yaml:"Name"`
		Value Value  `yaml:"Value"`
	} `yaml:"Dimensions"`
	AlarmActions Value `yaml:"AlarmActions"`
}

// watched returns "namespace metric target" for every alarm, where
// target is the resource its one dimension names.
func watched(t *testing.T, tpl *Template) map[string]alarmSpec {
	t.Helper()
	out := map[string]alarmSpec{}
	for _, id := range tpl.LogicalIDs("AWS::CloudWatch::Alarm") {
		var a alarmSpec
		if err := tpl.properties(id, "AWS::CloudWatch::Alarm", &a); err != nil {
			t.Fatal(err)
		}
		if len(a.Dimensions) != 1 {
			t.Errorf("%s: %d dimensions, want the one resource it watches", id, len(a.Dimensions))
			continue
		}
		target, ok := a.Dimensions[0].Value.Ref()
		if !ok {
			target, _, ok = a.Dimensions[0].Value.GetAtt()
		}
		if !ok {
			t.Errorf("%s: dimension %s names no resource of the template", id, a.Dimensions[0].Value)
			continue
		}
		if act := a.AlarmActions.node; act.Tag != "!If" || len(act.Content) != 3 || act.Content[0].Value != "HasAlarmTopic" {
			t.Errorf("%s: AlarmActions %s, want !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]", id, a.AlarmActions)
		}
		out[fmt.Sprintf("%s %s %s", a.Namespace, a.MetricName, target)] = a
	}
	return out
}

// A deployer learns of what did not sync without watching logs: a message
// in any dead-letter queue, a sync queue falling behind, and any function
// error or throttle each raise an alarm, sent to AlarmTopicArn when set.
func TestTemplateAlarms(t *testing.T) {
	tpl := repoTemplate(t)
	alarms := watched(t, tpl)
	want := func(key, op string, threshold string) {
		t.Helper()
		a, ok := alarms[key]
		if !ok {
			t.Errorf("no alarm on %s", key)
			return
		}
		got, isLit := a.Threshold.Literal()
		if !isLit {
			got = a.Threshold.String()
		}
		if a.ComparisonOperator != op || got != threshold {
			t.Errorf("alarm on %s: %s %s, want %s %s", key, a.ComparisonOperator, got, op, threshold)
		}
	}
	for _, k := range billing.Kinds {
		want("AWS/SQS ApproximateNumberOfMessagesVisible "+DLQLogicalID(k), "GreaterThanThreshold", "0")
		want("AWS/SQS ApproximateAgeOfOldestMessage "+QueueLogicalID(k), "GreaterThanThreshold", "!Ref QueueAgeAlarmSeconds")
	}
	for _, fn := range tpl.LogicalIDs(TypeFunction) {
		want("AWS/Lambda Errors "+fn, "GreaterThanThreshold", "0")
		want("AWS/Lambda Throttles "+fn, "GreaterThanThreshold", "0")
	}
	if _, ok := tpl.Parameters["AlarmTopicArn"]; !ok {
		t.Error("template has no AlarmTopicArn parameter")
	}
	if _, ok := tpl.Conditions["HasAlarmTopic"]; !ok {
		t.Error("template has no HasAlarmTopic condition")
	}
}
