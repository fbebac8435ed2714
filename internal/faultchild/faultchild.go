// Package faultchild checks that a conformance suite catches broken
// implementations: it runs the suite again in a child test process, once
// per fault, and requires each run to fail.
package faultchild

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireCaught runs the test named test of the current test binary once
// per fault, in a child process whose environment sets env to the fault,
// and fails t unless every child fails a test. In the child itself (env
// set) it skips t, so that the check does not recurse.
func RequireCaught(t *testing.T, env, test string, faults ...string) {
	t.Helper()
	if os.Getenv(env) != "" {
		t.Skip("in the child")
	}
	for _, fault := range faults {
		t.Run(fault, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run", "^"+test+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), env+"="+fault)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), "--- FAIL") {
				t.Fatalf("the suite passed an implementation with the fault %q (%v):\n%s", fault, err, out)
			}
		})
	}
}
