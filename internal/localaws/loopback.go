package localaws

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"
)

// The local stack listens on 127.0.0.1 only: the emulators, qbosim, the
// gateway and the functions under aws-lambda-rie hold test data and
// unsigned admin routes, and must not be reachable from another machine.
// The helpers below let tests check that rule over the wire.

// ErrNoExternalAddress is returned by ExternalIP on a machine whose only
// interface is loopback: there is then no other address to be refused on.
var ErrNoExternalAddress = errors.New("no interface with a non-loopback address")

// ExternalIP returns an address of this machine that is not loopback: the
// one another machine would connect to. IPv4 is preferred.
func ExternalIP() (net.IP, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	var v6 net.IP
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
				continue
			}
			if ipn.IP.To4() != nil {
				return ipn.IP, nil
			}
			if v6 == nil {
				v6 = ipn.IP
			}
		}
	}
	if v6 != nil {
		return v6, nil
	}
	return nil, ErrNoExternalAddress
}

// CheckLoopbackOnly returns nil when port accepts connections on
// 127.0.0.1 and refuses them on external, and otherwise says which.
func CheckLoopbackOnly(external net.IP, port int) error {
	const timeout = 2 * time.Second
	p := strconv.Itoa(port)
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", p), timeout)
	if err != nil {
		return fmt.Errorf("port %d does not answer on 127.0.0.1: %w", port, err)
	}
	c.Close()
	addr := net.JoinHostPort(external.String(), p)
	c, err = net.DialTimeout("tcp", addr, timeout)
	if err == nil {
		c.Close()
		return fmt.Errorf("port %d answers on %s: it listens beyond loopback", port, addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("port %d on %s: want connection refused, got %w", port, addr, err)
	}
	return nil
}
