package docker

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOutput(t *testing.T) {
	o := newOutput(3, 5)
	w := o.writer()
	fmt.Fprint(w, "one\ntw")
	fmt.Fprint(w, "o\nthree-is-long\n")
	require.Equal(t, []string{"one", "two", "three"}, o.lines())
	fmt.Fprint(w, "four\nfive")
	o.flush()
	require.Equal(t, []string{"[2 earlier lines dropped]", "three", "four", "five"}, o.lines())

	big := newOutput(2, 4)
	fmt.Fprint(big.writer(), strings.Repeat("x", 1<<20)+"\n")
	require.Equal(t, []string{"xxxx"}, big.lines(), "a long line is cut, not held")
}

func TestOwnerGone(t *testing.T) {
	require.False(t, ownerGone("otherhost:1", "thishost"))
	require.False(t, ownerGone("thishost:notapid", "thishost"))
	require.False(t, ownerGone("", "thishost"))
	require.False(t, ownerGone(owner(), hostnameOf(owner())), "this process is alive")
	require.True(t, ownerGone(hostnameOf(owner())+":2147483646", hostnameOf(owner())))
}

func hostnameOf(owner string) string { return owner[:strings.LastIndexByte(owner, ':')] }
