package codemode_test

import (
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/sandbox/codemode"
	"github.com/ironcurtain-go/ironcurtain/sandbox/sandboxtest"
	"github.com/stretchr/testify/require"
)

// TestContract runs the Sandbox contract against Code Mode.
func TestContract(t *testing.T) {
	sandboxtest.Run(t, func(t *testing.T, exit *sandboxtest.Exit) ironcurtain.Sandbox {
		sb, err := codemode.New(codemode.Options{Backend: exit})
		require.NoError(t, err)
		return sb
	}, sandboxtest.Jobs{
		Return:  ironcurtain.Job{Source: "return 42;"},
		Call:    ironcurtain.Job{Source: `return kit.echo({ text: "hi" });`},
		Forever: ironcurtain.Job{Source: "for (;;) {}"},
	})
}
