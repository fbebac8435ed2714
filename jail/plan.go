package jail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"strings"
)

// plan is what the parent tells the launcher: the program to run and the
// exact sandbox to apply. The parent decides everything (kernel support
// included); the launcher only applies, and refuses a plan it cannot
// apply exactly.
//
// It travels in an anonymous memory file inherited as descriptor 3, never
// in argv or the environment, so the paths it grants are not on display.
type plan struct {
	Version int      `json:"v"`
	Path    string   `json:"path"`         // absolute path of the program
	Args    []string `json:"args"`         // its argv, Args[0] as given
	ABI     int      `json:"abi"`          // Landlock ABI to enforce; 0: none
	Seccomp bool     `json:"seccomp"`      // install the system-call filter
	RO      []string `json:"ro,omitempty"` // canonical, beyond the base set
	RW      []string `json:"rw,omitempty"` // canonical
	// Exec, with ExecOnly, is all that may be executed besides Path;
	// without ExecOnly every readable file may be.
	Exec     []string `json:"exec,omitempty"`     // canonical
	ExecOnly bool     `json:"execonly,omitempty"` // only Path and Exec
	Connect  []uint16 `json:"connect,omitempty"`  // sorted, unique, non-zero
	Bind     []uint16 `json:"bind,omitempty"`     // sorted, unique, non-zero
	Unix     bool     `json:"unix,omitempty"`     // socket(AF_UNIX) allowed
	// Sockets are the granted socket paths and directories (canonical);
	// with Confine the launcher builds a private root holding only the
	// system paths, the grants and these.
	Sockets []string `json:"sockets,omitempty"`
	Confine bool     `json:"confine,omitempty"`
	// Masked are the paths the launcher covers in the private root
	// (canonical, sorted); they need Confine.
	Masked []string `json:"masked,omitempty"`
	// ParentNS identifies the parent's mount namespace (device and inode
	// of /proc/self/ns/mnt): the launcher confines only in another one.
	ParentNS [2]uint64 `json:"parentns,omitzero"`
	// Hosts, with Net, are the granted hosts: the launcher starts in a
	// network namespace of its own (ParentNet identifies the parent's),
	// lists the names in the private root's /etc/hosts, gives loopback
	// each address, listens on each address and port and passes the
	// listening sockets, in this order, to the parent over netFD.
	Hosts     []planHost `json:"hosts,omitempty"`
	Net       bool       `json:"net,omitempty"`
	ParentNet [2]uint64  `json:"parentnet,omitzero"`
	// AnyPort: the Policy accepted ProtectTCPPorts on a kernel without
	// TCP rules; ports granted are not restricted.
	AnyPort bool `json:"anyport,omitempty"`
}

// planHost is one granted host in the launcher's terms.
type planHost struct {
	Name  string   `json:"name,omitempty"` // for /etc/hosts; "" for an address
	Addr  string   `json:"addr"`           // its address in the jail's namespace
	Ports []uint16 `json:"ports"`          // sorted, unique, non-zero
}

const (
	planVersion = 1
	// maxPlan bounds the encoded plan the launcher reads.
	maxPlan = 1 << 20
	// maxABI is the newest Landlock ABI whose semantics the launcher
	// handles. ABI 9 restricts connecting to pathname Unix sockets and ABI
	// 10 restricts UDP; enforcing them needs rules this package does not
	// write yet, so a newer kernel is used at ABI 8 (the seccomp filter
	// still keeps Unix and non-TCP sockets away unless granted).
	maxABI = 8
	// netABI is the first Landlock ABI with TCP port rules.
	netABI = 4
	// scopeABI is the first Landlock ABI that scopes signals and abstract
	// Unix sockets to the jail.
	scopeABI = 6
)

// network reports whether the plan grants any TCP port.
func (p *plan) network() bool { return len(p.Connect)+len(p.Bind) > 0 }

// encode serialises the plan.
func (p *plan) encode() ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

// decodePlan reads and checks a plan. It accepts nothing but the exact
// form encode produces: one JSON object with known fields, within
// maxPlan bytes, that passes check.
func decodePlan(r io.Reader) (*plan, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPlan+1))
	if err != nil {
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	if len(b) > maxPlan {
		return nil, errors.New("plan too large")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plan
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("decoding plan: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decoding plan: trailing data")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decoding plan: trailing data")
	}
	p.normalise()
	if err := p.check(); err != nil {
		return nil, err
	}
	return &p, nil
}

// normalise turns empty lists into nil, the form encode omits.
func (p *plan) normalise() {
	p.RO, p.RW, p.Exec = nilIfEmpty(p.RO), nilIfEmpty(p.RW), nilIfEmpty(p.Exec)
	p.Connect, p.Bind = nilIfEmpty(p.Connect), nilIfEmpty(p.Bind)
	p.Sockets, p.Masked, p.Hosts = nilIfEmpty(p.Sockets), nilIfEmpty(p.Masked), nilIfEmpty(p.Hosts)
}

func nilIfEmpty[S ~[]E, E any](s S) S {
	if len(s) == 0 {
		return nil
	}
	return s
}

// check validates a plan on either side.
func (p *plan) check() error {
	if p.Version != planVersion {
		return fmt.Errorf("plan version %d, want %d", p.Version, planVersion)
	}
	if err := planPath(p.Path); err != nil {
		return fmt.Errorf("program: %w", err)
	}
	if len(p.Args) == 0 {
		return errors.New("plan has no argv")
	}
	for _, a := range p.Args {
		if strings.IndexByte(a, 0) >= 0 {
			return errors.New("argument contains a NUL byte")
		}
	}
	if p.ABI < 0 || p.ABI > maxABI {
		return fmt.Errorf("landlock ABI %d out of range", p.ABI)
	}
	if p.Confine && !p.Net && (!p.Unix || len(p.Sockets) == 0) && len(p.Masked) == 0 || len(p.Sockets) > 0 && !p.Unix {
		return errors.New("socket grants need Unix sockets, and confinement socket grants, host grants or masks")
	}
	if len(p.Masked) > 0 && !p.Confine {
		return errors.New("masked paths need confinement")
	}
	if err := p.checkHosts(); err != nil {
		return err
	}
	if len(p.Exec) > 0 && !p.ExecOnly {
		return errors.New("plan lists executables without limiting execution to them")
	}
	for _, l := range [][]string{p.RO, p.RW, p.Sockets, p.Exec, p.Masked} {
		for _, x := range l {
			if err := planPath(x); err != nil {
				return fmt.Errorf("grant %q: %w", x, err)
			}
		}
	}
	ports := [][]uint16{p.Connect, p.Bind}
	for _, h := range p.Hosts {
		ports = append(ports, h.Ports)
	}
	for _, l := range ports {
		for i, port := range l {
			if port == 0 || i > 0 && port <= l[i-1] {
				return errors.New("ports must be non-zero, sorted and unique")
			}
		}
	}
	if p.network() && p.ABI > 0 && p.ABI < netABI && !p.AnyPort {
		return fmt.Errorf("TCP port rules need Landlock ABI %d, plan has %d", netABI, p.ABI)
	}
	return nil
}

// planPath accepts clean absolute paths without NUL bytes.
func planPath(p string) error {
	if err := checkPath(p); err != nil {
		return err
	}
	if filepath.Clean(p) != p {
		return errors.New("path is not clean")
	}
	return nil
}

// checkHosts validates the host grants: Net exactly when there are hosts,
// always with confinement; names and addresses in canonical form, each
// address once; at most maxConnect listening sockets.
func (p *plan) checkHosts() error {
	if p.Net != (len(p.Hosts) > 0) || p.Net && !p.Confine {
		return errors.New("host grants need a network namespace and confinement, and they need host grants")
	}
	seen := map[string]bool{}
	n := 0
	for _, h := range p.Hosts {
		a, err := netip.ParseAddr(h.Addr)
		if err != nil || a.String() != h.Addr || seen[h.Addr] {
			return fmt.Errorf("host address %q is not canonical or not unique", h.Addr)
		}
		seen[h.Addr] = true
		if h.Name != "" {
			if c, _, name, err := checkHost(h.Name); err != nil || !name || c != h.Name {
				return fmt.Errorf("host name %q is not canonical", h.Name)
			}
		}
		if len(h.Ports) == 0 {
			return fmt.Errorf("host %q has no port", h.Addr)
		}
		n += len(h.Ports)
	}
	if n > maxConnect {
		return fmt.Errorf("%d host and port pairs, at most %d", n, maxConnect)
	}
	return nil
}
