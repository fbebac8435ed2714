//go:build linux

package jail

import (
	"context"
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
}
