package policy_test

import (
	"testing"

	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/stack"
	"github.com/stretchr/testify/require"
)

// TestDefaultsCannotBeWidened checks that what protects every engine by
// default cannot be changed by a package that edits what it was handed.
func TestDefaultsCannotBeWidened(t *testing.T) {
	p := policy.DefaultProtectedPaths()
	require.Contains(t, p, "~/.ssh")
	for i := range p {
		p[i] = "~/nothing"
	}
	require.Contains(t, policy.DefaultProtectedPaths(), "~/.ssh")

	d := stack.DefaultDomainAllowlists()
	require.NotEmpty(t, d[stack.Git])
	d[stack.Git][0] = "*"
	delete(d, stack.Git)
	require.Equal(t, "github.com", stack.DefaultDomainAllowlists()[stack.Git][0])
}
