//go:build linux

package jail

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRefuseWeaker: on a kernel whose Landlock lacks signal scoping (ABI
// 5), a jail that would let the program signal processes outside it is
// refused rather than started as if it were whole.
func TestRefuseWeaker(t *testing.T) {
	requireJail(t)
	f := newFixture(t)
	_, err := newCmd(context.Background(), Policy{}, f.env(kernel{abi: 5, seccomp: true}), testBinary(t), nil)
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, string(ProtectSignals))
}

// TestAcceptByName injects kernels that lack one protection or another:
// each missing protection the policy needs refuses the jail unless
// Policy.Accept names it — accepting one does not accept another — and
// Enforcement.Missing lists exactly what ran without. Where the real
// kernel allows, the probes show the weaker form is what runs.
func TestAcceptByName(t *testing.T) {
	real, f := parallelJailFixture(t)
	sock := filepath.Join(f.work, "s")
	serveUnix(t, sock)
	other := filepath.Join(f.outside, "other.sock")
	serveUnix(t, other)
	open, closed := listen(t), listen(t)
	full := kernel{abi: maxABI, seccomp: true, mountns: true}
	tests := []struct {
		name    string
		k       kernel
		p       Policy
		wantErr []Protection // named in the refusal
		missing []Protection
		probes  []probeCase
	}{
		{name: "ABI 5 refuses", k: kernel{abi: 5, seccomp: true}, wantErr: []Protection{ProtectSignals}},
		{name: "ABI 5, signals accepted", k: kernel{abi: 5, seccomp: true},
			p: Policy{Accept: []Protection{ProtectSignals}}, missing: []Protection{ProtectSignals},
			probes: []probeCase{{"kill-parent", "ok"}, {"read:" + f.key, "EACCES"}}},
		{name: "ABI 5 with sockets also needs abstract scoping", k: kernel{abi: 5, seccomp: true, mountns: true},
			p:       Policy{UnixSockets: []string{sock}, Accept: []Protection{ProtectSignals}},
			wantErr: []Protection{ProtectAbstractUnix}},
		{name: "ABI 3 with a port refuses", k: kernel{abi: 3, seccomp: true},
			p:       Policy{ConnectTCP: []uint16{open}, Accept: []Protection{ProtectSignals}},
			wantErr: []Protection{ProtectTCPPorts}},
		{name: "ABI 3, any port accepted", k: kernel{abi: 3, seccomp: true},
			p:       Policy{ConnectTCP: []uint16{open}, Accept: []Protection{ProtectSignals, ProtectTCPPorts}},
			missing: []Protection{ProtectTCPPorts, ProtectSignals},
			probes:  []probeCase{{"connect:" + loopback(open), "ok"}, {"connect:" + loopback(closed), "ok"}, {"read:" + f.key, "EACCES"}}},
		{name: "no namespaces with sockets refuses", k: kernel{abi: maxABI, seccomp: true},
			p: Policy{UnixSockets: []string{sock}}, wantErr: []Protection{ProtectUnixPaths}},
		{name: "no namespaces, any socket path accepted", k: kernel{abi: maxABI, seccomp: true},
			p:       Policy{UnixSockets: []string{sock}, Accept: []Protection{ProtectUnixPaths}},
			missing: []Protection{ProtectUnixPaths},
			probes:  []probeCase{{"unix:" + sock, "ok"}, {"unix:" + other, "ok"}}},
		{name: "no Landlock: socket paths cannot be confined either", k: kernel{seccomp: true, mountns: true},
			p:       Policy{UnixSockets: []string{sock}, Accept: []Protection{ProtectLandlock, ProtectSignals, ProtectAbstractUnix}},
			wantErr: []Protection{ProtectUnixPaths}},
		{name: "Unsandboxed accepts everything, and says so", k: kernel{},
			p:       Policy{UnixSockets: []string{sock}, Connect: []HostPort{{Host: "127.0.0.1", Port: open}}, Unsandboxed: true},
			missing: slices.DeleteFunc(slices.Clone(protections), func(p Protection) bool { return p == ProtectMaskedPaths })},
		{name: "no network namespace with hosts refuses", k: full,
			p: Policy{Connect: []HostPort{{Host: "127.0.0.1", Port: open}}}, wantErr: []Protection{ProtectTCPHosts}},
		{name: "no network namespace, hosts accepted as ports", k: full,
			p:       Policy{Connect: []HostPort{{Host: "127.0.0.2", Port: open}}, Accept: []Protection{ProtectTCPHosts}},
			missing: []Protection{ProtectTCPHosts},
			probes:  []probeCase{{"connect:" + loopback(open), "ok"}, {"connect:" + loopback(closed), "EACCES"}}},
		{name: "a whole kernel with hosts", k: kernel{abi: maxABI, seccomp: true, netns: true},
			p:      Policy{Connect: []HostPort{{Host: "127.0.0.1", Port: open}}},
			probes: []probeCase{{"connect:" + loopback(open), "ok"}, {"connect:" + loopback(closed), "EACCES"}}},
		{name: "a whole kernel", k: full, p: Policy{UnixSockets: []string{sock}, ConnectTCP: []uint16{open}},
			probes: []probeCase{{"unix:" + sock, "ok"}, {"unix:" + other, "ENOENT"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, env, err := f.probeCmd(t, tt.k, tt.p)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, ErrUnsupported)
				for _, w := range tt.wantErr {
					require.ErrorContains(t, err, string(w))
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.missing, c.Enforcement.Missing)
			require.Equal(t, len(tt.missing) > 0, c.Enforcement.Unsandboxed)
			if tt.probes != nil && tt.k.abi <= real.abi && (!tt.k.mountns || real.mountns) && (!tt.k.netns || netnsWork()) {
				check(t, tt.p, env, tt.probes)
			}
		})
	}
}
