package web

import (
	"errors"
	"net/netip"
	"strings"
)

// ErrBlockedAddress marks a connection the SSRF defence refused because the
// address dialled (or an IPv4 address embedded in it) is not a public one.
// Every [*AddrError] satisfies errors.Is(err, ErrBlockedAddress).
var ErrBlockedAddress = errors.New("web: address refused")

// AddrError reports an address the SSRF defence refused, and why.
type AddrError struct {
	// Addr is the address as it was to be dialled.
	Addr netip.Addr
	// Range names the kind of address: "loopback", "private",
	// "cloud metadata", ... When the address embeds an IPv4 address (see
	// Via), Range is the kind of the embedded address.
	Range string
	// Prefix is the refused range Addr (or the embedded address) falls in.
	// It is the zero Prefix for refusals that are not about a range, such as
	// an address with a zone.
	Prefix netip.Prefix
	// Via names the IPv6 form the refused IPv4 address was embedded in
	// ("IPv4-mapped", "IPv4-compatible", "NAT64", "6to4", "Teredo"), or is
	// empty.
	Via string
}

// Error describes the refusal for the operator; it includes the address.
func (e *AddrError) Error() string {
	return "web: " + e.Addr.String() + " refused: " + e.Describe()
}

// Describe says what kind of address was refused without naming the address
// itself ("a loopback address (127.0.0.0/8)"), so that it can be shown to an
// agent without disclosing how an internal name resolves.
func (e *AddrError) Describe() string {
	var b strings.Builder
	b.WriteString(withArticle(e.Range))
	b.WriteString(" address")
	if e.Prefix.IsValid() {
		b.WriteString(" (" + e.Prefix.String() + ")")
	}
	if e.Via != "" {
		b.WriteString(", embedded in " + withArticle(e.Via) + " IPv6 address")
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrBlockedAddress) true.
func (e *AddrError) Unwrap() error { return ErrBlockedAddress }

// withArticle prefixes a range name with "a" or "an", by how it is read
// aloud ("an IETF", "a NAT64").
func withArticle(word string) string {
	if word != "" && strings.ContainsRune("aeiouI", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// rangeEntry is one refused range. Tables are ordered most specific first:
// the first entry that contains an address names it.
type rangeEntry struct {
	prefix netip.Prefix
	name   string
}

// rangeMetadata is the name of the cloud metadata ranges. They are special:
// an AllowNetworks entry opens one only when it lies inside it (see
// guard.allowed), so that allowing 169.254.0.0/16 for a device on the link
// does not also open the instance-credential endpoint.
const rangeMetadata = "cloud metadata"

func entries(pairs ...string) []rangeEntry {
	out := make([]rangeEntry, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, rangeEntry{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return out
}

// refused4 lists every IPv4 range http_fetch will not dial (IANA IPv4
// special-purpose registry, plus cloud metadata services).
var refused4 = entries(
	"169.254.169.254/32", rangeMetadata, // AWS, GCP, Azure, DigitalOcean, OpenStack
	"100.100.100.200/32", rangeMetadata, // Alibaba Cloud
	"168.63.129.16/32", rangeMetadata, // Azure WireServer: a public-looking address only a VM reaches
	"192.0.0.192/32", rangeMetadata, // Oracle Cloud
	"255.255.255.255/32", "broadcast",
	"0.0.0.0/8", "unspecified",
	"10.0.0.0/8", "private",
	"100.64.0.0/10", "shared (CGNAT)",
	"127.0.0.0/8", "loopback",
	"169.254.0.0/16", "link-local",
	"172.16.0.0/12", "private",
	"192.0.0.0/24", "IETF protocol assignment",
	"192.0.2.0/24", "documentation",
	"192.88.99.0/24", "6to4 relay anycast",
	"192.168.0.0/16", "private",
	"198.18.0.0/15", "benchmarking",
	"198.51.100.0/24", "documentation",
	"203.0.113.0/24", "documentation",
	"224.0.0.0/4", "multicast",
	"240.0.0.0/4", "reserved",
)

// refused6 lists the IPv6 ranges refused outright. Addresses outside
// 2000::/3 (global unicast) are refused as well; addresses that embed an
// IPv4 address are judged by the embedded address first.
var refused6 = entries(
	"fd00:ec2::254/128", rangeMetadata, // AWS IMDS over IPv6
	"::/128", "unspecified",
	"::1/128", "loopback",
	"64:ff9b:1::/48", "local-use NAT64",
	"100::/64", "discard-only",
	"2001:db8::/32", "documentation",
	"3fff::/20", "documentation",
	"2001::/23", "IETF special-purpose",
	"fc00::/7", "private (unique local)",
	"fe80::/10", "link-local",
	"fec0::/10", "site-local",
	"ff00::/8", "multicast",
)

var (
	prefixGlobal6 = netip.MustParsePrefix("2000::/3")
	prefixCompat  = netip.MustParsePrefix("::/96")
	prefixNAT64   = netip.MustParsePrefix("64:ff9b::/96")
	prefix6to4    = netip.MustParsePrefix("2002::/16")
	prefixTeredo  = netip.MustParsePrefix("2001::/32")
)

// CheckAddr reports whether the SSRF defence lets a connection be made to
// addr. It returns nil for a public unicast address and an [*AddrError]
// otherwise: loopback, unspecified, private, link-local, shared (CGNAT),
// cloud metadata, multicast, broadcast, reserved, benchmarking,
// documentation and IETF special-purpose ranges, in IPv4 and IPv6, and every
// IPv6 form that carries one of the refused IPv4 addresses (IPv4-mapped,
// IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32).
// IPv6 addresses outside 2000::/3 are refused, as are addresses with a zone.
//
// CheckAddr is the pure check behind the dialer; it knows nothing of
// Options.AllowNetworks. It is safe for concurrent use.
func CheckAddr(addr netip.Addr) error {
	if !addr.IsValid() {
		return &AddrError{Addr: addr, Range: "invalid"}
	}
	if addr.Zone() != "" {
		return &AddrError{Addr: addr, Range: "scoped (zoned)"}
	}
	if addr.Is4() {
		return refuse4(addr, addr, "")
	}
	if addr.Is4In6() {
		return refuse4(addr, addr.Unmap(), "IPv4-mapped")
	}
	return check6(addr)
}

func refuse4(orig, v4 netip.Addr, via string) error {
	if e, ok := lookup(refused4, v4); ok {
		return &AddrError{Addr: orig, Range: e.name, Prefix: e.prefix, Via: via}
	}
	return nil
}

func check6(a netip.Addr) error {
	b := a.As16()
	switch {
	case a == netip.IPv6Unspecified() || a == netip.IPv6Loopback():
		// Judged by the table below, not as IPv4-compatible forms.
	case prefixCompat.Contains(a):
		// Deprecated and unroutable: refused even when the embedded address
		// is public, but named after the embedded address when it is not.
		if err := refuse4(a, netip.AddrFrom4([4]byte(b[12:16])), "IPv4-compatible"); err != nil {
			return err
		}
		return &AddrError{Addr: a, Range: "IPv4-compatible (deprecated)", Prefix: prefixCompat}
	case prefixNAT64.Contains(a):
		return refuse4(a, netip.AddrFrom4([4]byte(b[12:16])), "NAT64")
	case prefix6to4.Contains(a):
		return refuse4(a, netip.AddrFrom4([4]byte(b[2:6])), "6to4")
	case prefixTeredo.Contains(a):
		// Teredo lies in 2001::/23 and is refused by the table below in any
		// case; a refused server or client address names the refusal.
		if err := refuse4(a, netip.AddrFrom4([4]byte(b[4:8])), "Teredo"); err != nil {
			return err
		}
		client := [4]byte{^b[12], ^b[13], ^b[14], ^b[15]}
		if err := refuse4(a, netip.AddrFrom4(client), "Teredo"); err != nil {
			return err
		}
	}
	if e, ok := lookup(refused6, a); ok {
		return &AddrError{Addr: a, Range: e.name, Prefix: e.prefix}
	}
	if !prefixGlobal6.Contains(a) {
		return &AddrError{Addr: a, Range: "reserved (not global unicast)"}
	}
	return nil
}

func lookup(table []rangeEntry, a netip.Addr) (rangeEntry, bool) {
	for _, e := range table {
		if e.prefix.Contains(a) {
			return e, true
		}
	}
	return rangeEntry{}, false
}

// allowList is Options.AllowNetworks, checked before CheckAddr.
type allowList []netip.Prefix

// allows reports whether a is explicitly allowed. An IPv4-mapped address is
// looked up in its IPv4 form too. A cloud metadata address is allowed only
// by an entry that lies inside the metadata range itself (its own /32 or
// /128), never by a wider one.
func (l allowList) allows(a netip.Addr) bool {
	if len(l) == 0 {
		return false
	}
	a = a.WithZone("")
	forms := []netip.Addr{a}
	if a.Is4In6() {
		forms = append(forms, a.Unmap())
	}
	for _, f := range forms {
		meta, isMeta := metadataPrefix(f)
		for _, p := range l {
			if !p.Contains(f) {
				continue
			}
			if isMeta && p.Bits() < meta.Bits() {
				continue
			}
			return true
		}
	}
	return false
}

func metadataPrefix(a netip.Addr) (netip.Prefix, bool) {
	table := refused6
	if a.Is4() {
		table = refused4
	}
	for _, e := range table {
		if e.name == rangeMetadata && e.prefix.Contains(a) {
			return e.prefix, true
		}
	}
	return netip.Prefix{}, false
}

// check applies the allow list, then CheckAddr.
func (l allowList) check(a netip.Addr) error {
	if l.allows(a) {
		return nil
	}
	return CheckAddr(a)
}
