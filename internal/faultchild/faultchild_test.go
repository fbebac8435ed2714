package faultchild

import (
	"os"
	"testing"
)

// TestChild fails when asked to, as a suite does on a broken
// implementation, and passes otherwise.
func TestChild(t *testing.T) {
	if os.Getenv("FAULTCHILD_FAULT") == "break" {
		t.Fatal("broken on purpose")
	}
}

func TestRequireCaught(t *testing.T) {
	RequireCaught(t, "FAULTCHILD_FAULT", "TestChild", "break")
}

// TestRequireCaughtNoticesAPass: a fault the child does not fail on must
// fail the check; run in a grandchild so that its failure is observed.
func TestRequireCaughtNoticesAPass(t *testing.T) {
	if os.Getenv("FAULTCHILD_OUTER") != "" {
		RequireCaught(t, "FAULTCHILD_FAULT", "TestChild", "harmless")
		return
	}
	t.Setenv("FAULTCHILD_OUTER", "1")
	RequireCaught(t, "FAULTCHILD_OUTER_FAULT", "TestRequireCaughtNoticesAPass", "expected")
}
