package jail

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProbeHostsAgreesWithCheck: a Check made while ProbeHosts' probe runs
// gets the answer a Check made after it gets.
func TestProbeHostsAgreesWithCheck(t *testing.T) {
	p := Policy{Connect: []HostPort{{Host: "probe.invalid", Port: 443}}, Unsandboxed: true}
	var wg sync.WaitGroup
	var during Enforcement
	var errDuring error
	ProbeHosts()
	wg.Go(func() { during, errDuring = Check(p) })
	ProbeHosts()
	wg.Wait()
	after, errAfter := Check(p)
	require.Equal(t, errAfter, errDuring)
	require.Equal(t, after, during)
}
