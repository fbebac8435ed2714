package jail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	// AnyPort: the Policy accepted ProtectTCPPorts on a kernel without
	// TCP rules; ports granted are not restricted.
	AnyPort bool `json:"anyport,omitempty"`
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
	if len(p.RO) == 0 {
		p.RO = nil
	}
	if len(p.RW) == 0 {
		p.RW = nil
	}
	if len(p.Exec) == 0 {
		p.Exec = nil
	}
	if len(p.Connect) == 0 {
		p.Connect = nil
	}
	if len(p.Bind) == 0 {
		p.Bind = nil
	}
	if len(p.Sockets) == 0 {
		p.Sockets = nil
	}
	if len(p.Masked) == 0 {
		p.Masked = nil
	}
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
	if p.Confine && (!p.Unix || len(p.Sockets) == 0) && len(p.Masked) == 0 || len(p.Sockets) > 0 && !p.Unix {
		return errors.New("socket grants need Unix sockets, and confinement socket grants or masks")
	}
	if len(p.Masked) > 0 && !p.Confine {
		return errors.New("masked paths need confinement")
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
	for _, l := range [][]uint16{p.Connect, p.Bind} {
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
