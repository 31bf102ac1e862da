package iam

import (
	"slices"
	"testing"

	"gopkg.in/yaml.v3"
)

type node struct{ yaml.Node }

func (n node) Decode(out any) error { return n.Node.Decode(out) }

func policies(t *testing.T, src string) []Policy {
	t.Helper()
	var list []yaml.Node
	if err := yaml.Unmarshal([]byte(src), &list); err != nil {
		t.Fatal(err)
	}
	var out []Policy
	for _, n := range list {
		out = append(out, node{n})
	}
	return out
}

func TestGrantedExpandsSAMTemplates(t *testing.T) {
	c, err := LoadCatalogue("testdata/policy_templates.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Granted(policies(t, `
- SQSSendMessagePolicy:
    QueueName: !GetAtt Q.QueueName
- Statement:
    - Effect: Allow
      Action: kms:Decrypt
      Resource: "*"
    - Effect: Deny
      Action: [ssm:GetParameter]
      Resource: "*"
`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"kms:Decrypt", "sqs:SendMessage*"}; !slices.Equal(got, want) {
		t.Errorf("granted = %v, want %v", got, want)
	}
	crud := c["DynamoDBCrudPolicy"]
	if !slices.Contains(crud, "dynamodb:PutItem") || slices.Contains(crud, "dynamodb:CreateTable") {
		t.Errorf("DynamoDBCrudPolicy = %v", crud)
	}
}

func TestCompareFindsMissingAndUnused(t *testing.T) {
	r := Compare("F", []string{"sqs:SendMessage", "ssm:GetParameter"}, []string{"sqs:SendMessage*", "dynamodb:Scan"})
	if !slices.Equal(r.Missing, []string{"ssm:GetParameter"}) || !slices.Equal(r.Unused, []string{"dynamodb:Scan"}) {
		t.Errorf("missing %v unused %v", r.Missing, r.Unused)
	}
}
