package devstack

import (
	"errors"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/qbosync/qbosync/internal/localaws"
)

// TestEveryPortOfTheStackIsLoopbackOnly: every port the dev stack opens
// (gateway, qbosim, the emulators, the functions under aws-lambda-rie, and
// anything else this process or a process it started listens on) answers
// on 127.0.0.1 and is refused on the machine's other address.
func TestEveryPortOfTheStackIsLoopbackOnly(t *testing.T) {
	ip, err := localaws.ExternalIP()
	if errors.Is(err, localaws.ErrNoExternalAddress) {
		t.Skip("this machine has no non-loopback address to try the ports on")
	}
	if err != nil {
		t.Fatal(err)
	}
	for name, runtime := range map[string]string{"in-process": RuntimeInProcess, "rie": RuntimeRIE} {
		t.Run(name, func(t *testing.T) {
			s := ForTestWith(t, Options{Emulators: emulators, Runtime: runtime})
			gateway, sim := urlPort(t, s.GatewayURL()), urlPort(t, s.QBOURL())
			ports := map[int]string{
				gateway: "gateway", sim: "qbosim",
				urlPort(t, emulators.DynamoEndpoint): "DynamoDB Local",
				urlPort(t, emulators.SQSEndpoint):    "SQS emulator",
			}
			if s.rie != nil {
				for name, f := range s.rie.functions {
					ports[urlPort(t, f.URL)] = name + " under aws-lambda-rie"
				}
			}
			listening, err := localaws.ListeningPorts(os.Getpid())
			switch {
			case err != nil:
				t.Logf("checking the named ports only: %v", err)
			case !slices.Contains(listening, gateway) || !slices.Contains(listening, sim):
				t.Errorf("this process's listeners %v miss the gateway (%d) or qbosim (%d)", listening, gateway, sim)
			}
			for _, p := range listening {
				if _, ok := ports[p]; !ok {
					ports[p] = "a listener of this process tree"
				}
			}
			for p, name := range ports {
				if err := localaws.CheckLoopbackOnly(ip, p); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
			t.Logf("%d ports checked", len(ports))
		})
	}
}

func urlPort(t *testing.T, raw string) int {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatalf("%q has no port", raw)
	}
	return p
}

// TestStackRefusesToListenBeyondLoopback: a gateway or qbosim address on
// every interface (-addr :8080) is refused at start, naming the rule.
func TestStackRefusesToListenBeyondLoopback(t *testing.T) {
	for _, opts := range []Options{
		{GatewayAddr: ":0"},
		{GatewayAddr: "0.0.0.0:0"},
		{QBOSimAddr: "[::]:0"},
	} {
		opts.Emulators = emulators
		opts.Log = slog.New(slog.DiscardHandler)
		s, err := Start(testContext(t), opts)
		if err == nil {
			s.Close()
			t.Errorf("Start with gateway %q, qbosim %q: started, want refused", opts.GatewayAddr, opts.QBOSimAddr)
			continue
		}
		if !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Start with gateway %q, qbosim %q: %v, want an error naming loopback", opts.GatewayAddr, opts.QBOSimAddr, err)
		}
	}
}
