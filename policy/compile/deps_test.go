package compile_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFrontEndNeedsNoModelClient keeps the deterministic compiler free of
// the model client and the HTTP stack it brings: they belong to the
// anthropic subpackage.
func TestFrontEndNeedsNoModelClient(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	out, err := exec.Command(gobin, "list", "-deps", "github.com/ironcurtain-go/ironcurtain/policy/compile").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "anthropic") || dep == "net/http" {
			t.Errorf("policy/compile depends on %s", dep)
		}
	}
}
