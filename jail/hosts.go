package jail

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// HostPort is a host and a TCP port a jailed program may connect to (see
// Policy.Connect).
type HostPort struct {
	// Host is a DNS name ("github.com", compared without regard to case
	// and a final dot) or an IP address ("192.0.2.7", "2001:db8::1"),
	// without brackets or zone. Names are resolved by the trusted
	// process, never by the program.
	Host string
	// Port is the TCP port, not 0.
	Port uint16
}

// String returns "host:port", with brackets around an IPv6 address.
func (h HostPort) String() string { return net.JoinHostPort(h.Host, strconv.Itoa(int(h.Port))) }

// Validate reports whether Policy.Connect would take h: a host name or
// IP address as Host describes, and a port from 1 on.
func (h HostPort) Validate() error {
	if _, _, _, err := checkHost(h.Host); err != nil {
		return fmt.Errorf("host %q: %w", h.Host, err)
	}
	if h.Port == 0 {
		return fmt.Errorf("host %q: port 0", h.Host)
	}
	return nil
}

// maxConnect bounds the host and port pairs of a Policy: each is a
// listening socket passed to the trusted process in one message (the
// kernel passes at most 253 descriptors at once).
const maxConnect = 200

// hostGrant is one granted host with its ports, validated.
type hostGrant struct {
	host  string     // lower-case name without a final dot, or the address's canonical form
	addr  netip.Addr // the address the program reaches it at in its namespace
	name  bool       // host is a name (listed in the jail's /etc/hosts)
	ports []uint16   // sorted, unique
}

// hostGrants validates Connect and groups it by host, in order of host,
// and gives every name a loopback address of its own in the jail's
// namespace (127.1.0.1 on, skipping granted addresses); an address is
// reached at itself.
func hostGrants(in []HostPort) ([]hostGrant, error) {
	byHost := map[string]int{}
	var out []hostGrant
	for _, hp := range in {
		h, addr, isName, err := checkHost(hp.Host)
		if err != nil {
			return nil, fmt.Errorf("%w: Connect entry %q: %v", ErrPolicy, hp.String(), err)
		}
		if hp.Port == 0 {
			return nil, fmt.Errorf("%w: Connect entry %q: port 0", ErrPolicy, hp.String())
		}
		i, ok := byHost[h]
		if !ok {
			i = len(out)
			byHost[h] = i
			out = append(out, hostGrant{host: h, addr: addr, name: isName})
		}
		if !slices.Contains(out[i].ports, hp.Port) {
			out[i].ports = append(out[i].ports, hp.Port)
		}
	}
	n := 0
	for i := range out {
		slices.Sort(out[i].ports)
		n += len(out[i].ports)
	}
	if n > maxConnect {
		return nil, fmt.Errorf("%w: Connect grants %d host and port pairs, at most %d", ErrPolicy, n, maxConnect)
	}
	slices.SortFunc(out, func(a, b hostGrant) int { return strings.Compare(a.host, b.host) })
	taken := map[netip.Addr]bool{}
	for _, g := range out {
		if !g.name {
			taken[g.addr] = true
		}
	}
	next := netip.AddrFrom4([4]byte{127, 1, 0, 1})
	for i := range out {
		if !out[i].name {
			continue
		}
		for taken[next] || next.As4()[3] == 0 || next.As4()[3] == 255 {
			next = next.Next()
		}
		out[i].addr = next
		next = next.Next()
	}
	return out, nil
}

// checkHost returns h in canonical form, its address when it is one, and
// whether it is a name. A name is one or more labels of letters, digits,
// hyphens and underscores, not starting or ending with a hyphen, at most
// 253 bytes; its last label may not be all digits (the C library would
// read "10.1" or "2130706433" as an address). An address may not be
// unspecified, multicast or carry a zone.
func checkHost(h string) (string, netip.Addr, bool, error) {
	if a, err := netip.ParseAddr(h); err == nil {
		a = a.Unmap()
		switch {
		case a.Zone() != "":
			return "", netip.Addr{}, false, fmt.Errorf("an address with a zone")
		case a.IsUnspecified(), a.IsMulticast():
			return "", netip.Addr{}, false, fmt.Errorf("an unspecified or multicast address")
		}
		return a.String(), a, false, nil
	}
	n := strings.ToLower(strings.TrimSuffix(h, "."))
	if n == "" || len(n) > 253 {
		return "", netip.Addr{}, false, fmt.Errorf("not a host name or IP address")
	}
	labels := strings.Split(n, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", netip.Addr{}, false, fmt.Errorf("not a host name or IP address")
		}
		for _, c := range []byte(l) {
			if !(c == '-' || c == '_' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
				return "", netip.Addr{}, false, fmt.Errorf("not a host name or IP address")
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", netip.Addr{}, false, fmt.Errorf("a name whose last label is a number, which would be read as an address")
	}
	return n, netip.Addr{}, true, nil
}

// hostsFile is the jail's /etc/hosts: localhost, and every granted name
// at its address. There are no IPv6 entries.
func hostsFile(hosts []planHost) []byte {
	var b strings.Builder
	b.WriteString("# ironcurtain jail: only these names resolve\n")
	local := true
	for _, h := range hosts {
		if h.Name == "localhost" {
			local = false
		}
	}
	if local {
		b.WriteString("127.0.0.1\tlocalhost\n")
	}
	for _, h := range hosts {
		if h.Name != "" {
			b.WriteString(h.Addr + "\t" + h.Name + "\n")
		}
	}
	return []byte(b.String())
}

// resolvConf is the jail's /etc/resolv.conf: a name server on a loopback
// address of the jail's own namespace where nothing listens, so that a
// DNS query fails at once.
const resolvConf = "# ironcurtain jail: there is no DNS; names resolve through /etc/hosts only\n" +
	"nameserver 127.0.0.53\noptions timeout:1 attempts:1\n"
