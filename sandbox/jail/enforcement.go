package jail

import (
	"fmt"
	"strings"
)

// Enforcement reports what a jail enforces on this machine. Record it
// when a jailed server starts; Unsandboxed in particular is an operator
// decision that belongs in the audit log.
type Enforcement struct {
	// Landlock is the Landlock ABI version whose restrictions are
	// enforced; 0 means none.
	Landlock int
	// KernelLandlock is the ABI the kernel offers; it may exceed Landlock,
	// which stops at the newest ABI this package handles.
	KernelLandlock int
	// Seccomp reports that the system-call filter is installed.
	Seccomp bool
	// Unsandboxed reports that part of the jail is missing because the
	// kernel lacks it and Policy.Unsandboxed accepted running without it.
	Unsandboxed bool
	// Missing says what is missing when Unsandboxed is set.
	Missing string
}

// String describes the enforcement for logs: "landlock ABI 7, seccomp",
// or "UNSANDBOXED (no Landlock): seccomp".
func (e Enforcement) String() string {
	var parts []string
	if e.Landlock > 0 {
		parts = append(parts, fmt.Sprintf("landlock ABI %d", e.Landlock))
	}
	if e.Seccomp {
		parts = append(parts, "seccomp")
	}
	s := strings.Join(parts, ", ")
	if s == "" {
		s = "nothing enforced"
	}
	if e.Unsandboxed {
		return "UNSANDBOXED (" + e.Missing + "): " + s
	}
	return s
}

// kernel is what the running kernel supports.
type kernel struct {
	abi     int  // Landlock ABI, 0 when absent
	seccomp bool // seccomp filters on a supported architecture
}

// decide chooses the enforcement for g on k, failing closed: a missing
// Landlock or seccomp is accepted only with Policy.Unsandboxed, and TCP
// port grants the kernel cannot enforce are refused outright (there is no
// weaker rule to fall back to that still means "only these ports").
func decide(p Policy, g grants, k kernel) (Enforcement, error) {
	e := Enforcement{KernelLandlock: k.abi, Landlock: min(k.abi, maxABI), Seccomp: k.seccomp}
	var missing []string
	if k.abi <= 0 {
		e.Landlock, e.KernelLandlock = 0, 0
		missing = append(missing, "no Landlock")
	}
	if !k.seccomp {
		missing = append(missing, "no seccomp")
	}
	if len(missing) > 0 {
		if !p.Unsandboxed {
			return Enforcement{}, fmt.Errorf("%w: %s; set Policy.Unsandboxed to accept running without it",
				ErrUnsupported, strings.Join(missing, ", "))
		}
		e.Unsandboxed, e.Missing = true, strings.Join(missing, ", ")
	}
	if len(g.connect)+len(g.bind) > 0 && e.Landlock > 0 && e.Landlock < netABI {
		return Enforcement{}, fmt.Errorf("%w: TCP port rules need Landlock ABI %d, the kernel has %d",
			ErrUnsupported, netABI, e.Landlock)
	}
	return e, nil
}

// Check validates p and reports what a jail built from it would enforce
// on this machine, without starting anything. A server can call it once at
// start-up to fail early and to write the enforcement to its audit log.
// The error is the one [Command] would return for the same policy. Check
// is safe for concurrent use.
func Check(p Policy) (Enforcement, error) {
	g, err := p.validate(homes())
	if err != nil {
		return Enforcement{}, err
	}
	return decide(p, g, detect())
}
