package jail

import (
	"fmt"
	"slices"
	"strings"
)

// Protection names one part of a jail that a kernel may be unable to
// enforce. A jail missing a protection its Policy needs is refused with
// [ErrUnsupported] unless Policy.Accept names it (or Policy.Unsandboxed
// accepts everything); what ran without is listed in
// Enforcement.Missing.
type Protection string

// The protections a kernel may lack, each with the weaker form a Policy
// accepts by naming it.
const (
	// ProtectLandlock: the file rules (Landlock, Linux 5.13+). Without it
	// the program may read and write whatever its user may.
	ProtectLandlock Protection = "landlock"
	// ProtectSeccomp: the system-call filter. Without it ptrace, mount,
	// keyctl, io_uring and every socket family are open.
	ProtectSeccomp Protection = "seccomp"
	// ProtectTCPPorts: per-port TCP rules (Landlock ABI 4, Linux 6.7),
	// needed by ConnectTCP and BindTCP. Without them a program granted a
	// port may connect to and listen on every port.
	ProtectTCPPorts Protection = "tcp-ports"
	// ProtectSignals: signals only to processes inside the jail (Landlock
	// ABI 6, Linux 6.12). Without it the program may signal every process
	// of its user: the proxy that started it, the user's shell.
	ProtectSignals Protection = "signal-scope"
	// ProtectAbstractUnix: abstract Unix sockets only inside the jail
	// (Landlock ABI 6), needed by UnixSockets. Without it the program may
	// connect to any abstract socket on the machine (a desktop session's,
	// a container runtime's).
	ProtectAbstractUnix Protection = "abstract-unix-scope"
	// ProtectUnixPaths: connecting only to the socket paths granted, by a
	// private user and mount namespace in which nothing else exists,
	// needed by UnixSockets; it also needs Landlock, which keeps the
	// other processes' /proc/<pid>/root out of reach. Without it the
	// program may connect to any socket its user can reach by path, the
	// Docker daemon's included.
	ProtectUnixPaths Protection = "unix-socket-paths"
	// ProtectMaskedPaths: the Masked paths covered, in a private user and
	// mount namespace, needed by Masked; like ProtectUnixPaths it also
	// needs Landlock. Without it the program may read, write, rename and
	// delete the masked paths inside its grants.
	ProtectMaskedPaths Protection = "masked-paths"
	// ProtectTCPHosts: connections only to the hosts Connect names, by a
	// private network namespace with only loopback (a user, mount and
	// network namespace), needed by Connect. Without it Connect is
	// enforced as ConnectTCP is: its ports are open on every host, and
	// UDP to every host.
	ProtectTCPHosts Protection = "tcp-hosts"
)

// protections are all of them, in the order they are reported.
var protections = []Protection{ProtectLandlock, ProtectSeccomp, ProtectTCPPorts, ProtectSignals,
	ProtectAbstractUnix, ProtectUnixPaths, ProtectMaskedPaths, ProtectTCPHosts}

// Enforcement reports what a jail enforces on this machine. Record it
// when a jailed server starts; Unsandboxed and Missing in particular are
// an operator's decision that belongs in the audit log.
type Enforcement struct {
	// Landlock is the Landlock ABI version whose restrictions are
	// enforced; 0 means none.
	Landlock int
	// KernelLandlock is the ABI the kernel offers; it may exceed Landlock,
	// which stops at the newest ABI this package handles.
	KernelLandlock int
	// Seccomp reports that the system-call filter is installed.
	Seccomp bool
	// UnixPaths reports that the program runs in a private mount namespace
	// in which only the granted Unix socket paths exist (set with
	// UnixSockets).
	UnixPaths bool
	// Masked reports that the Masked paths are covered (set with Masked
	// entries inside the grants).
	Masked bool
	// Hosts reports that the program runs in a private network namespace
	// in which only the hosts and ports of Policy.Connect can be reached
	// (set with Connect).
	Hosts bool
	// Unsandboxed reports that protections the Policy needs are missing
	// because the kernel lacks them, and the Policy accepted running
	// without them (Accept or Unsandboxed).
	Unsandboxed bool
	// Missing lists exactly those protections; empty when Unsandboxed is
	// not set.
	Missing []Protection
}

// String describes the enforcement for logs: "landlock ABI 7, seccomp",
// or "UNSANDBOXED (missing landlock): seccomp".
func (e Enforcement) String() string {
	var parts []string
	if e.Landlock > 0 {
		parts = append(parts, fmt.Sprintf("landlock ABI %d", e.Landlock))
	}
	if e.Seccomp {
		parts = append(parts, "seccomp")
	}
	if e.UnixPaths {
		parts = append(parts, "unix socket paths")
	}
	if e.Masked {
		parts = append(parts, "masked paths")
	}
	if e.Hosts {
		parts = append(parts, "tcp hosts")
	}
	s := strings.Join(parts, ", ")
	if s == "" {
		s = "nothing enforced"
	}
	if e.Unsandboxed {
		return "UNSANDBOXED (missing " + joinProtections(e.Missing) + "): " + s
	}
	return s
}

func joinProtections(ps []Protection) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// kernel is what the running kernel supports.
type kernel struct {
	abi     int  // Landlock ABI, 0 when absent
	seccomp bool // seccomp filters on a supported architecture
	// mountns: a user and mount namespace can be made and a private root
	// built in it (see confine_linux.go).
	mountns bool
	// netns: a user, mount and network namespace can be made and its
	// loopback device brought up (see netns_linux.go).
	netns bool
}

// checkAccept refuses names in Policy.Accept that are no protection.
func checkAccept(accept []Protection) error {
	for _, a := range accept {
		if !slices.Contains(protections, a) {
			return fmt.Errorf("%w: Accept entry %q is not a protection (one of %s)", ErrPolicy, a, joinProtections(protections))
		}
	}
	return nil
}

// decide chooses the enforcement for g on k, failing closed: every
// protection g needs that k lacks must be accepted by name in
// Policy.Accept, or all at once by Policy.Unsandboxed; otherwise the jail
// is refused and the error names what is missing.
func decide(p Policy, g grants, k kernel) (Enforcement, error) {
	e := Enforcement{KernelLandlock: k.abi, Landlock: min(k.abi, maxABI), Seccomp: k.seccomp}
	if k.abi <= 0 {
		e.Landlock, e.KernelLandlock = 0, 0
	}
	network, sockets := len(g.connect)+len(g.bind) > 0, len(g.unix) > 0
	lacks := map[Protection]bool{
		ProtectLandlock:     e.Landlock == 0,
		ProtectSeccomp:      !k.seccomp,
		ProtectTCPPorts:     network && e.Landlock < netABI,
		ProtectSignals:      e.Landlock < scopeABI,
		ProtectAbstractUnix: sockets && e.Landlock < scopeABI,
		// Without Landlock, /proc/<pid>/root of the user's other processes
		// would lead out of the private root.
		ProtectUnixPaths:   sockets && (!k.mountns || e.Landlock == 0),
		ProtectMaskedPaths: len(g.masked) > 0 && (!k.mountns || e.Landlock == 0),
		ProtectTCPHosts:    len(g.hosts) > 0 && !k.netns,
	}
	var missing, refused []Protection
	for _, pr := range protections {
		if !lacks[pr] {
			continue
		}
		missing = append(missing, pr)
		if !p.Unsandboxed && !slices.Contains(p.Accept, pr) {
			refused = append(refused, pr)
		}
	}
	if len(refused) > 0 {
		return Enforcement{}, fmt.Errorf("%w: this kernel cannot enforce %s (Landlock ABI %d, seccomp %t, user namespaces %t, network namespaces %t); "+
			"name them in Policy.Accept to run with less", ErrUnsupported, joinProtections(refused), k.abi, k.seccomp, k.mountns, k.netns)
	}
	e.UnixPaths = sockets && !lacks[ProtectUnixPaths]
	e.Masked = len(g.masked) > 0 && !lacks[ProtectMaskedPaths]
	e.Hosts = len(g.hosts) > 0 && !lacks[ProtectTCPHosts]
	if len(missing) > 0 {
		e.Unsandboxed, e.Missing = true, missing
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
	return decide(p, g, detectFor(g))
}
