package localaws

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Stack is local AWS shared by the tests of one package. Start it in
// TestMain and give each test its own resources with ForTest:
//
//	var stack *localaws.Stack
//
//	func TestMain(m *testing.M) { localaws.Main(m, &stack) }
type Stack struct {
	Config    aws.Config
	Emulators *Emulators
	DynamoDB  *dynamodb.Client
	SQS       *sqs.Client

	template *Template
	run      string // distinguishes this test binary's resources from others'
	seq      atomic.Int64
	log      *os.File
}

// StartStack finds the repository root, starts (or reuses, see Start) the
// emulators and reads template.yaml. Emulator output goes to a temporary
// log file that is named in start-up errors and removed by Close.
func StartStack(ctx context.Context) (*Stack, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	t, err := LoadTemplate(filepath.Join(root, TemplateFileName))
	if err != nil {
		return nil, err
	}
	log, err := os.CreateTemp("", "localaws-*.log")
	if err != nil {
		return nil, fmt.Errorf("emulator log: %w", err)
	}
	emu, err := Start(ctx, root, log)
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("%w (emulator log: %s)", err, log.Name())
	}
	cfg, err := Config(ctx, emu)
	if err != nil {
		emu.Close()
		log.Close()
		os.Remove(log.Name())
		return nil, err
	}
	var run [3]byte
	_, _ = rand.Read(run[:])
	return &Stack{
		Config: cfg, Emulators: emu, DynamoDB: DynamoClient(cfg, emu), SQS: SQSClient(cfg, emu),
		template: t, run: hex.EncodeToString(run[:]), log: log,
	}, nil
}

// Main starts the stack into *stack, runs m's tests and exits with
// their code; a stack that cannot start fails the package at once.
func Main(m *testing.M, stack **Stack) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	s, err := StartStack(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start local AWS stack:", err)
		os.Exit(1)
	}
	*stack = s
	os.Exit(s.Run(m))
}

// Run runs the tests, closes the stack and returns the exit code for os.Exit.
func (s *Stack) Run(m *testing.M) int {
	defer s.Close()
	return m.Run()
}

// Close stops the emulators StartStack started.
func (s *Stack) Close() {
	s.Emulators.Close()
	s.log.Close()
	os.Remove(s.log.Name())
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9]+`)

// ForTest provisions a table and queues from template.yaml for tb alone,
// under a prefix unique to the test, and deletes them when tb ends.
func (s *Stack) ForTest(tb testing.TB) (aws.Config, *Emulators, Resources) {
	tb.Helper()
	name := unsafeName.ReplaceAllString(tb.Name(), "-")
	if len(name) > 24 {
		name = name[:24]
	}
	prefix := fmt.Sprintf("t%s-%d-%s", s.run, s.seq.Add(1), name)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := ProvisionTemplate(ctx, s.DynamoDB, s.SQS, s.template, prefix)
	if err != nil {
		tb.Fatalf("provision local resources: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := Deprovision(ctx, s.DynamoDB, s.SQS, r); err != nil {
			tb.Errorf("remove local resources: %v", err)
		}
	})
	return s.Config, s.Emulators, r
}
