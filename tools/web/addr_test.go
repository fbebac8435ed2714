package web

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestCheckAddr(t *testing.T) {
	refused := []struct {
		addr, rangeName, via string
	}{
		{"127.0.0.1", "loopback", ""},
		{"127.255.255.254", "loopback", ""},
		{"0.0.0.0", "unspecified", ""},
		{"10.1.2.3", "private", ""},
		{"172.16.0.1", "private", ""},
		{"172.31.255.255", "private", ""},
		{"192.168.1.1", "private", ""},
		{"169.254.1.1", "link-local", ""},
		{"169.254.169.254", rangeMetadata, ""},
		{"100.100.100.200", rangeMetadata, ""},
		{"168.63.129.16", rangeMetadata, ""},
		{"192.0.0.192", rangeMetadata, ""},
		{"100.64.0.1", "shared (CGNAT)", ""},
		{"100.127.255.255", "shared (CGNAT)", ""},
		{"192.0.0.8", "IETF protocol assignment", ""},
		{"192.0.2.5", "documentation", ""},
		{"198.51.100.1", "documentation", ""},
		{"203.0.113.9", "documentation", ""},
		{"198.18.0.1", "benchmarking", ""},
		{"198.19.255.255", "benchmarking", ""},
		{"192.88.99.1", "6to4 relay anycast", ""},
		{"224.0.0.1", "multicast", ""},
		{"239.255.255.250", "multicast", ""},
		{"240.0.0.1", "reserved", ""},
		{"255.255.255.255", "broadcast", ""},
		{"::1", "loopback", ""},
		{"::", "unspecified", ""},
		{"::ffff:127.0.0.1", "loopback", "IPv4-mapped"},
		{"::ffff:0.0.0.0", "unspecified", "IPv4-mapped"},
		{"::ffff:169.254.169.254", rangeMetadata, "IPv4-mapped"},
		{"::127.0.0.1", "loopback", "IPv4-compatible"},
		{"::8.8.8.8", "IPv4-compatible (deprecated)", ""},
		{"64:ff9b::127.0.0.1", "loopback", "NAT64"},
		{"64:ff9b::a9fe:a9fe", rangeMetadata, "NAT64"},
		{"64:ff9b:1::1", "local-use NAT64", ""},
		{"2002:7f00:1::", "loopback", "6to4"},
		{"2002:a00:1::1", "private", "6to4"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "documentation", "Teredo"}, // client 192.0.2.45
		{"2001:0:a00:1::1", "private", "Teredo"},                            // server 10.0.0.1
		{"2001:0:808:808::f7f7:f7f7", "IETF special-purpose", ""},           // public Teredo: still refused
		{"fc00::1", "private (unique local)", ""},
		{"fd12:3456::1", "private (unique local)", ""},
		{"fd00:ec2::254", rangeMetadata, ""},
		{"fe80::1", "link-local", ""},
		{"fe80::1%eth0", "scoped (zoned)", ""},
		{"fec0::1", "site-local", ""},
		{"ff02::1", "multicast", ""},
		{"2001:db8::1", "documentation", ""},
		{"3fff::1", "documentation", ""},
		{"100::1", "discard-only", ""},
		{"2001:2::1", "IETF special-purpose", ""},
		{"4000::1", "reserved (not global unicast)", ""},
		{"1::1", "reserved (not global unicast)", ""},
	}
	for _, tc := range refused {
		t.Run(tc.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tc.addr)
			err := CheckAddr(a)
			require.ErrorIs(t, err, ErrBlockedAddress)
			var ae *AddrError
			require.ErrorAs(t, err, &ae)
			require.Equal(t, tc.rangeName, ae.Range)
			require.Equal(t, tc.via, ae.Via)
			require.Equal(t, a, ae.Addr)
			if !ae.Prefix.IsSingleIP() && ae.Prefix.Addr() != a { // a well-known address may be named
				require.NotContains(t, ae.Describe(), a.String(), "the agent-facing text must not name the address")
			}
			require.Contains(t, ae.Error(), a.String(), "the operator-facing text names it")
		})
	}
	for _, s := range []string{
		"8.8.8.8", "1.1.1.1", "93.184.216.34", "172.15.255.255", "172.32.0.0", "100.63.255.255",
		"100.128.0.0", "192.0.1.1", "198.17.255.255", "198.20.0.0", "223.255.255.255", "169.253.255.255",
		"2606:4700::1111", "2a00:1450:4001::1", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
	} {
		t.Run(s, func(t *testing.T) { require.NoError(t, CheckAddr(netip.MustParseAddr(s))) })
	}
	require.ErrorIs(t, CheckAddr(netip.Addr{}), ErrBlockedAddress)
}

func TestAddrErrorDescribe(t *testing.T) {
	err := CheckAddr(netip.MustParseAddr("64:ff9b::127.0.0.1"))
	var ae *AddrError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "a loopback address (127.0.0.0/8), embedded in a NAT64 IPv6 address", ae.Describe())
	err = CheckAddr(netip.MustParseAddr("::ffff:10.0.0.1"))
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "a private address (10.0.0.0/8), embedded in an IPv4-mapped IPv6 address", ae.Describe())
}

func TestAllowList(t *testing.T) {
	p := netip.MustParsePrefix
	tests := []struct {
		name    string
		allow   []netip.Prefix
		addr    string
		allowed bool
	}{
		{"loopback allowed", []netip.Prefix{loopback}, "127.0.0.1", true},
		{"mapped loopback allowed", []netip.Prefix{loopback}, "::ffff:127.0.0.2", true},
		{"other private still refused", []netip.Prefix{loopback}, "10.0.0.1", false},
		{"v6 loopback not in a v4 prefix", []netip.Prefix{loopback}, "::1", false},
		{"NAT64 form not opened by the v4 prefix", []netip.Prefix{loopback}, "64:ff9b::127.0.0.1", false},
		{"link-local allowed", []netip.Prefix{p("169.254.0.0/16")}, "169.254.1.1", true},
		{"metadata needs its own prefix", []netip.Prefix{p("169.254.0.0/16")}, "169.254.169.254", false},
		{"metadata exact", []netip.Prefix{p("169.254.169.254/32")}, "169.254.169.254", true},
		{"everything but metadata", []netip.Prefix{p("0.0.0.0/0")}, "100.100.100.200", false},
		{"everything", []netip.Prefix{p("0.0.0.0/0")}, "10.0.0.1", true},
		{"v6 everything but metadata", []netip.Prefix{p("::/0")}, "fd00:ec2::254", false},
		{"v6 metadata exact", []netip.Prefix{p("fd00:ec2::254/128")}, "fd00:ec2::254", true},
		{"empty list", nil, "127.0.0.1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := allowList(tc.allow).check(netip.MustParseAddr(tc.addr))
			if tc.allowed {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrBlockedAddress)
			}
		})
	}
}

// drawIn draws an address inside p.
func drawIn(t *rapid.T, p netip.Prefix) netip.Addr {
	var raw []byte
	if p.Addr().Is4() {
		raw = rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, "bytes4")
	} else {
		raw = rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "bytes16")
	}
	base := p.Addr().AsSlice()
	for i := range raw {
		bitsHere := min(max(p.Bits()-8*i, 0), 8)
		mask := byte(0xff << (8 - bitsHere))
		raw[i] = base[i]&mask | raw[i]&^mask
	}
	a, _ := netip.AddrFromSlice(raw)
	return a
}

// embeddings returns every IPv6 form that carries v4.
func embeddings(t *rapid.T, v4 netip.Addr) map[string]netip.Addr {
	b := v4.As4()
	tail := rapid.SliceOfN(rapid.Byte(), 10, 10).Draw(t, "tail")
	mk := func(f func(*[16]byte)) netip.Addr {
		var x [16]byte
		f(&x)
		return netip.AddrFrom16(x)
	}
	return map[string]netip.Addr{
		"mapped": netip.AddrFrom16(v4.As16()),
		"compat": mk(func(x *[16]byte) { copy(x[12:], b[:]) }),
		"nat64":  mk(func(x *[16]byte) { x[0], x[1], x[2], x[3] = 0, 0x64, 0xff, 0x9b; copy(x[12:], b[:]) }),
		"6to4": mk(func(x *[16]byte) {
			x[0], x[1] = 0x20, 0x02
			copy(x[2:6], b[:])
			copy(x[6:], tail)
		}),
		"teredo-server": mk(func(x *[16]byte) { x[0], x[1] = 0x20, 0x01; copy(x[4:8], b[:]); copy(x[8:], tail[:8]) }),
		"teredo-client": mk(func(x *[16]byte) {
			x[0], x[1] = 0x20, 0x01
			copy(x[4:12], tail[:8])
			for i := range 4 {
				x[12+i] = ^b[i]
			}
		}),
	}
}

// Every address in a refused IPv4 range is refused, and so is every IPv6
// form that embeds it.
func TestRefusedIPv4RangesProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := rapid.SampledFrom(refused4).Draw(t, "range")
		a := drawIn(t, e.prefix)
		require.ErrorIs(t, CheckAddr(a), ErrBlockedAddress, a)
		for form, x := range embeddings(t, a) {
			require.ErrorIs(t, CheckAddr(x), ErrBlockedAddress, "%s form %s of %s", form, x, a)
		}
	})
}

// Every address in a refused IPv6 range is refused.
func TestRefusedIPv6RangesProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := rapid.SampledFrom(refused6).Draw(t, "range")
		a := drawIn(t, e.prefix)
		require.ErrorIs(t, CheckAddr(a), ErrBlockedAddress, a)
	})
}

// A public IPv4 address is allowed in its plain, mapped, NAT64 and 6to4
// forms (a host on an IPv6-only network reaches IPv4 through NAT64).
func TestPublicIPv4Property(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := netip.AddrFrom4([4]byte(rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, "v4")))
		if _, refused := lookup(refused4, a); refused {
			t.Skip("not public")
		}
		require.NoError(t, CheckAddr(a))
		forms := embeddings(t, a)
		for _, f := range []string{"mapped", "nat64", "6to4"} {
			require.NoError(t, CheckAddr(forms[f]), "%s form %s", f, forms[f])
		}
	})
}

// An allow-list entry opens every address in it, except metadata
// addresses, which need an entry of their own.
func TestAllowListProperty(t *testing.T) {
	all := append(append([]rangeEntry{}, refused4...), refused6...)
	rapid.Check(t, func(t *rapid.T) {
		e := rapid.SampledFrom(all).Draw(t, "range")
		a := drawIn(t, e.prefix)
		err := allowList{e.prefix}.check(a)
		if _, meta := metadataPrefix(a); meta && e.name != rangeMetadata {
			require.Error(t, err)
			return
		}
		require.NoError(t, err, a)
	})
}

func FuzzCheckAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1", "2002:a9fe:a9fe::", "8.8.8.8", "2606:4700::1"} {
		f.Add(netip.MustParseAddr(s).AsSlice())
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, ok := netip.AddrFromSlice(raw)
		if !ok {
			return
		}
		err := CheckAddr(a)
		var ae *AddrError
		if err != nil && (!errors.As(err, &ae) || !errors.Is(err, ErrBlockedAddress)) {
			t.Fatalf("%v: error %v is not an *AddrError", a, err)
		}
		// The standard library's own classes must all be refused.
		if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsMulticast() ||
			a.IsUnspecified() || a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast() {
			require.Error(t, err, a)
		}
		// An IPv4 address and its mapped form are judged alike.
		if a.Is4() {
			mapped := netip.AddrFrom16(a.As16())
			require.Equal(t, err == nil, CheckAddr(mapped) == nil, "%v vs %v", a, mapped)
		}
		if err == nil {
			require.True(t, a.Unmap().IsGlobalUnicast(), a)
		}
	})
}
