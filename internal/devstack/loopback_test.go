package devstack

import (
	"errors"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/qbosync/qbosync/internal/localaws"
)

// TestEveryPortOfTheStackIsLoopbackOnly: every port the dev stack opens
// (gateway, qbosim, the emulators, and anything else this process or a
// process it started listens on) answers on 127.0.0.1 and is refused on
// the machine's other address.
func TestEveryPortOfTheStackIsLoopbackOnly(t *testing.T) {
	ip, err := localaws.ExternalIP()
	if errors.Is(err, localaws.ErrNoExternalAddress) {
		t.Skip("this machine has no non-loopback address to try the ports on")
	}
	if err != nil {
		t.Fatal(err)
	}
	s := ForTestWith(t, Options{Emulators: emulators})

	gateway, sim := urlPort(t, s.GatewayURL()), urlPort(t, s.QBOURL())
	ports := map[int]string{
		gateway: "gateway", sim: "qbosim",
		urlPort(t, emulators.DynamoEndpoint): "DynamoDB Local",
		urlPort(t, emulators.SQSEndpoint):    "SQS emulator",
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
