package jail

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func validPlan() *plan {
	return &plan{
		Version: planVersion, Path: "/usr/bin/git", Args: []string{"git", "status"},
		ABI: 7, Seccomp: true,
		RO: []string{"/usr/share/git-core"}, RW: []string{"/work/repo"},
		Connect: []uint16{22, 443}, Bind: []uint16{8080}, Unix: true,
	}
}

// hostPlan is a valid plan with host grants.
func hostPlan() *plan {
	p := validPlan()
	p.Confine, p.Net, p.ParentNS, p.ParentNet = true, true, [2]uint64{1, 2}, [2]uint64{1, 3}
	p.Hosts = []planHost{{Name: "github.com", Addr: "127.1.0.1", Ports: []uint16{22, 443}}, {Addr: "2001:db8::1", Ports: []uint16{443}}}
	return p
}

func TestPlanRoundTrip(t *testing.T) {
	for _, p := range []*plan{
		validPlan(),
		{Version: planVersion, Path: "/bin/true", Args: []string{"true"}},
		hostPlan(),
	} {
		b, err := p.encode()
		require.NoError(t, err)
		got, err := decodePlan(bytes.NewReader(b))
		require.NoError(t, err)
		require.Equal(t, p, got)
	}
}

func TestDecodePlanRejects(t *testing.T) {
	encode := func(mutate func(*plan)) string {
		p := validPlan()
		mutate(p)
		b, err := json.Marshal(p)
		require.NoError(t, err)
		return string(b)
	}
	good := encode(func(*plan) {})
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"not JSON", "plan"},
		{"unknown field", strings.Replace(good, `"v":1`, `"v":1,"extra":true`, 1)},
		{"trailing data", good + "{}"},
		{"too large", `{"v":1,"path":"/x","args":["` + strings.Repeat("a", maxPlan) + `"]}`},
		{"wrong version", encode(func(p *plan) { p.Version = 2 })},
		{"relative program", encode(func(p *plan) { p.Path = "git" })},
		{"unclean program", encode(func(p *plan) { p.Path = "/usr/bin/../bin/git" })},
		{"no argv", encode(func(p *plan) { p.Args = nil })},
		{"NUL in argument", encode(func(p *plan) { p.Args = []string{"git", "a\x00b"} })},
		{"negative ABI", encode(func(p *plan) { p.ABI = -1 })},
		{"ABI beyond handled", encode(func(p *plan) { p.ABI = maxABI + 1 })},
		{"relative grant", encode(func(p *plan) { p.RW = []string{"repo"} })},
		{"NUL in grant", encode(func(p *plan) { p.RO = []string{"/a\x00"} })},
		{"port 0", encode(func(p *plan) { p.Connect = []uint16{0, 443} })},
		{"unsorted ports", encode(func(p *plan) { p.Bind = []uint16{9, 8} })},
		{"duplicate ports", encode(func(p *plan) { p.Connect = []uint16{443, 443} })},
		{"ports without network ABI", encode(func(p *plan) { p.ABI = 3 })},
		{"hosts without a network namespace", encode(func(p *plan) { *p = *hostPlan(); p.Net = false })},
		{"hosts without confinement", encode(func(p *plan) { *p = *hostPlan(); p.Confine = false })},
		{"a network namespace without hosts", encode(func(p *plan) { *p = *hostPlan(); p.Hosts = nil })},
		{"host name not canonical", encode(func(p *plan) { *p = *hostPlan(); p.Hosts[0].Name = "GitHub.com" })},
		{"host name with a space", encode(func(p *plan) { *p = *hostPlan(); p.Hosts[0].Name = "a b" })},
		{"host name a number", encode(func(p *plan) { *p = *hostPlan(); p.Hosts[0].Name = "10.1" })},
		{"host address not canonical", encode(func(p *plan) { *p = *hostPlan(); p.Hosts[1].Addr = "2001:db8:0::1" })},
		{"host address twice", encode(func(p *plan) { *p = *hostPlan(); p.Hosts[1].Addr = "127.1.0.1" })},
		{"host without a port", encode(func(p *plan) { *p = *hostPlan(); p.Hosts[1].Ports = nil })},
		{"host ports unsorted", encode(func(p *plan) { *p = *hostPlan(); p.Hosts[0].Ports = []uint16{443, 22} })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodePlan(strings.NewReader(tt.in))
			require.Error(t, err)
		})
	}
}

// FuzzDecodePlan feeds the launcher's decoder arbitrary input: it must
// never panic, and whatever it accepts must encode back to a plan it
// decodes identically.
func FuzzDecodePlan(f *testing.F) {
	b, _ := validPlan().encode()
	f.Add(b)
	f.Add([]byte(`{"v":1,"path":"/bin/true","args":["true"],"abi":0,"seccomp":false}`))
	f.Add([]byte(`{"v":1,"path":"/","args":[""],"abi":8,"seccomp":true,"ro":[],"connect":[1,65535]}`))
	f.Add([]byte(`{"v":1,"path":"/x","args":["x"],"abi":3,"connect":[443]}`))
	hb, _ := hostPlan().encode()
	f.Add(hb)
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := decodePlan(bytes.NewReader(in))
		if err != nil {
			return
		}
		again, err := p.encode()
		if err != nil {
			t.Fatalf("decoded plan does not encode: %v", err)
		}
		q, err := decodePlan(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("re-encoded plan does not decode: %v", err)
		}
		require.Equal(t, p, q)
	})
}
