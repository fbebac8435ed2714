package jail

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Policy says what a jailed program may do beyond starting. The zero value
// is valid and least privileged: the program may read and execute the
// system directories it needs to run ([BaseReadOnly]) and its own
// executable, and nothing else — no other file, no network, no Unix
// socket, no environment variable.
//
// A Policy is a plain value; [Command] and [Check] copy and validate it
// each time, so it may be shared, reused and used concurrently.
type Policy struct {
	// ReadOnly are absolute paths of files and directories the program may
	// read and list, with everything beneath them; and execute, unless
	// Execute is set.
	ReadOnly []string
	// ReadWrite are absolute paths the program may also write: create,
	// write, truncate, rename and delete files and directories beneath
	// them. Creating device nodes is never allowed.
	ReadWrite []string
	// Execute, when not nil, is the complete list of what the program and
	// everything it starts may execute: these absolute paths of files
	// and directories (everything beneath a directory), the program
	// itself, and the interpreters the kernel opens to run the program
	// and each file listed (an ELF program's dynamic loader, a script's
	// "#!" interpreter), which are added automatically. Everything else
	// ReadOnly, ReadWrite and the base set grant becomes read-only
	// without execute: no shell, no program written into a writable
	// directory, no system tool may start. Entries are also readable.
	// Shared libraries are unaffected (Landlock checks execve, not mmap).
	// Note that the dynamic loader, once executable, can load any ELF file
	// the program may read when it is executed with a path argument; a
	// program whose children take arguments from an untrusted source must
	// keep such arguments away from the loader. Nil means everything
	// readable is executable, as before.
	Execute []string

	// Connect are the hosts and TCP ports the program may connect to, and
	// nothing else: the program runs in a network namespace of its own
	// that has only loopback, in which each granted host name resolves
	// (through /etc/hosts, the only source of names there) to a loopback
	// address of its own, and each granted address is an address of the
	// loopback device. The trusted process accepts each connection made to
	// a granted host and port and makes it itself, to the host it names,
	// resolved outside the jail (see Dial). Every other address — another
	// host by name or IP literal, IPv6, UDP to anywhere, DNS — has no
	// route. TLS works as usual: the program keeps the host name for SNI
	// and certificate checks. See ProtectTCPHosts. A Policy with Connect
	// cannot also have ConnectTCP.
	Connect []HostPort
	// Dial makes the connections Connect grants, from this process, with
	// an address Connect named ("host:port"); nil means a net.Dialer with
	// a 30-second time-out and the system's resolver. A proxy-aware or
	// test dialer may replace it.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// ConnectTCP are the TCP ports the program may connect to on every
	// host: the weaker form of Connect. Landlock matches ports, not
	// hosts, so a port granted is granted on every address, IPv4 and
	// IPv6, and UDP is open to every host (see BindTCP). Empty, with
	// Connect and BindTCP empty, means no network at all (no TCP, no UDP,
	// no other protocol).
	ConnectTCP []uint16
	// BindTCP are the TCP ports the program may listen on (with Connect,
	// inside its own network namespace, where only the program itself can
	// connect). Any entry here, in Connect or in ConnectTCP opens IPv4 and
	// IPv6 sockets to the program, and with them UDP (for DNS), which
	// Landlock before ABI 10 cannot restrict; with Connect, UDP has nowhere
	// to go but the namespace's own loopback.
	BindTCP []uint16
	// UnixSockets are the Unix domain sockets the program may connect to,
	// by absolute path: a socket (an ssh agent's), or a directory whose
	// sockets, present and future, it may reach (a credential helper's
	// private socket directory). Any entry lets the program create Unix
	// sockets, and it then runs in a private mount namespace whose root
	// holds only the system paths, its grants and these sockets, so no
	// other socket on the machine (the Docker daemon's, the proxies') can
	// be named; see ProtectUnixPaths. An entry that is, contains or lies
	// inside a container daemon's socket or a Protected path is refused.
	// Empty: no Unix socket can be made (socketpair(2) still works).
	UnixSockets []string

	// Env is the program's environment, built from nothing: "NAME" copies
	// the variable from this process's environment when it is set,
	// "NAME=value" sets it. Variables of the dynamic loader (LD_*) are
	// refused: they would act on the launcher before the sandbox is in
	// place.
	Env []string

	// AllowCredentials names entries of [CredentialPaths], written as there
	// ("~/.config/gcloud"), that ReadOnly and ReadWrite may nevertheless
	// cover: a deliberate, per-store exception for a server that needs one
	// store. A grant still may not cover any other store.
	AllowCredentials []string
	// Protected are further absolute paths that no ReadOnly or ReadWrite
	// entry may contain or lie inside, in addition to [CredentialPaths].
	Protected []string
	// Masked are absolute paths inside ReadOnly or ReadWrite grants that
	// the program may not touch although their directory is granted: it
	// can neither read, list, write, rename, delete nor replace them, nor
	// rename a directory between them and the grant. The program runs in
	// a private user and mount namespace (as with UnixSockets) in which
	// each is covered by an empty read-only node of mode 0; see
	// ProtectMaskedPaths. A masked path that does not exist cannot be
	// created: its deepest existing ancestor is read-only to the program
	// (the whole grant, when that ancestor is the grant). Masking is by
	// path: a masked file with other hard links is refused, and the same
	// directory reached by another granted path (a bind mount of it) is
	// not masked there. A Masked entry that is or contains a grant is
	// refused; one inside no grant is already out of reach and ignored.
	Masked []string

	// Unsandboxed accepts running the program without whatever protection
	// the kernel lacks — Landlock altogether (Linux before 5.13, Landlock
	// disabled at boot, another operating system) or any part of the jail
	// — as if Accept named every [Protection]. It never weakens a jail the
	// kernel can enforce. What is missing is reported in [Enforcement] so
	// that it can be recorded in the audit log; prefer Accept, which names
	// what may be missing.
	Unsandboxed bool
	// Accept names the protections this program may run without when the
	// kernel lacks them ([ProtectSignals] on a kernel before Landlock ABI
	// 6, say): the weaker form, accepted one protection at a time. Every
	// other missing protection still refuses the jail. What was accepted
	// and missing is reported in Enforcement.Missing.
	Accept []Protection
}

// baseReadOnly is what every jailed program may read: the system's
// programs and libraries, the dynamic loader's cache, the files the C
// library reads for users, name resolution, time zones and TLS roots, a
// few harmless devices and the process's own /proc entry. The rest of
// /etc, /home, /root, /tmp, /var, /run, /srv, /opt, /mnt and /media is
// not granted; missing entries are skipped.
var baseReadOnly = []string{
	// Programs and libraries.
	"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32",
	// The dynamic loader.
	"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/ld.so.preload",
	// Users, groups and name resolution (ssh and the C library look the
	// user up; resolvers read these).
	"/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/hosts", "/etc/host.conf",
	"/etc/resolv.conf", "/etc/gai.conf", "/etc/services", "/etc/protocols",
	// Time zone, locale aliases, MIME types, program alternatives.
	"/etc/localtime", "/etc/timezone", "/etc/locale.alias", "/etc/mime.types", "/etc/alternatives",
	// TLS trust roots and crypto policy.
	"/etc/ssl", "/etc/ca-certificates", "/etc/ca-certificates.conf", "/etc/pki", "/etc/crypto-policies",
	// Entropy; CPU and memory facts runtimes size themselves by.
	"/dev/urandom", "/dev/random",
	"/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/filesystems",
	"/sys/devices/system/cpu", "/sys/kernel/mm/transparent_hugepage",
}

// baseReadWrite are the devices every program may write.
var baseReadWrite = []string{"/dev/null", "/dev/zero", "/dev/full"}

// BaseReadOnly returns the paths every jailed program may read, whatever
// its Policy: /usr, /bin, /sbin, /lib* (programs and libraries); from /etc
// only the loader cache, passwd and group, name-resolution, time-zone,
// locale-alias and MIME files, alternatives and TLS roots; /dev/urandom
// and /dev/random; the program's own /proc/self and the CPU and memory
// facts in /proc and /sys. /dev/null, /dev/zero and /dev/full are also
// writable. The list is a copy.
func BaseReadOnly() []string { return slices.Clone(baseReadOnly) }

// grants is a validated Policy: canonical paths, sorted unique ports, the
// environment resolved.
type grants struct {
	ro, rw        []string
	exec          []string    // canonical, interpreters of its files included
	execOnly      bool        // Execute was set: nothing else is executable
	connect, bind []uint16    // connect includes the ports of hosts
	hosts         []hostGrant // Connect, by host
	dial          func(ctx context.Context, network, address string) (net.Conn, error)
	unix          []string // canonical socket paths and directories
	masked        []string // canonical, inside ro or rw, sorted
	env           []string
}

// validate checks p and resolves it against the file system and the
// environment. homes are the directories "~" in CredentialPaths stands
// for.
func (p Policy) validate(homes []string) (grants, error) {
	var g grants
	var err error
	if g.ro, err = canonicalPaths("ReadOnly", p.ReadOnly); err != nil {
		return grants{}, err
	}
	if g.rw, err = canonicalPaths("ReadWrite", p.ReadWrite); err != nil {
		return grants{}, err
	}
	if p.Execute != nil {
		g.execOnly = true
		if g.exec, err = canonicalPaths("Execute", p.Execute); err != nil {
			return grants{}, err
		}
		if g.exec, err = withInterpreters(g.exec); err != nil {
			return grants{}, err
		}
	}
	if err := checkCredentials(p, homes, slices.Concat(g.ro, g.rw, g.exec)); err != nil {
		return grants{}, err
	}
	if g.connect, err = ports("ConnectTCP", p.ConnectTCP); err != nil {
		return grants{}, err
	}
	if g.bind, err = ports("BindTCP", p.BindTCP); err != nil {
		return grants{}, err
	}
	if len(p.Connect) > 0 {
		if len(g.connect) > 0 {
			return grants{}, fmt.Errorf("%w: ConnectTCP grants ports on every host, Connect only on its hosts: use one of them", ErrPolicy)
		}
		if g.hosts, err = hostGrants(p.Connect); err != nil {
			return grants{}, err
		}
		for _, h := range g.hosts {
			g.connect = append(g.connect, h.ports...)
		}
		slices.Sort(g.connect)
		g.connect = slices.Compact(g.connect)
		g.dial = p.Dial
	}
	if err := checkAccept(p.Accept); err != nil {
		return grants{}, err
	}
	if g.unix, err = canonicalSockets(p.UnixSockets); err != nil {
		return grants{}, err
	}
	if g.masked, err = canonicalMasked(p.Masked, slices.Concat(g.ro, g.rw), slices.Concat(g.exec, g.unix)); err != nil {
		return grants{}, err
	}
	if len(g.unix) > 0 {
		// Beneath the private root, every granted path is reachable by
		// connect(2): none may expose a daemon's socket.
		if err := checkDaemonSockets(p, append(append(slices.Clone(g.ro), g.rw...), g.unix...)); err != nil {
			return grants{}, err
		}
		if err := checkCredentials(p, homes, socketDirs(g.unix)); err != nil {
			return grants{}, err
		}
	}
	if g.env, err = environ(p.Env, os.LookupEnv); err != nil {
		return grants{}, err
	}
	return g, nil
}

// canonicalPaths checks that every entry is an absolute path that exists
// and returns them with symbolic links resolved (Landlock attaches a rule
// to the file a path leads to), without duplicates.
func canonicalPaths(field string, in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, p := range in {
		if err := checkPath(p); err != nil {
			return nil, fmt.Errorf("%w: %s entry %q: %v", ErrPolicy, field, p, err)
		}
		c, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %s entry %q: %v", ErrPolicy, field, p, err)
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// checkPath accepts absolute paths without NUL bytes.
func checkPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty path")
	case strings.IndexByte(p, 0) >= 0:
		return fmt.Errorf("path contains a NUL byte")
	case !filepath.IsAbs(p):
		return fmt.Errorf("path is not absolute")
	}
	return nil
}

// ports returns in sorted and without duplicates; port 0 is refused.
func ports(field string, in []uint16) ([]uint16, error) {
	out := slices.Clone(in)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > 0 && out[0] == 0 {
		return nil, fmt.Errorf("%w: %s: port 0", ErrPolicy, field)
	}
	return out, nil
}

// environ builds the program's environment from the Env rules, looking
// copied variables up with lookup. The result is never nil: an empty
// environment, not the parent's.
func environ(rules []string, lookup func(string) (string, bool)) ([]string, error) {
	env := []string{}
	seen := map[string]bool{}
	for _, r := range rules {
		name, value, set := strings.Cut(r, "=")
		if err := checkEnvName(name); err != nil {
			return nil, fmt.Errorf("%w: Env entry %q: %v", ErrPolicy, r, err)
		}
		if strings.IndexByte(value, 0) >= 0 {
			return nil, fmt.Errorf("%w: Env entry %q: value contains a NUL byte", ErrPolicy, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("%w: Env names %q twice", ErrPolicy, name)
		}
		seen[name] = true
		if !set {
			v, ok := lookup(name)
			if !ok {
				continue
			}
			value = v
		}
		env = append(env, name+"="+value)
	}
	return env, nil
}

// checkEnvName accepts portable variable names, except the loader's.
func checkEnvName(name string) error {
	if name == "" {
		return fmt.Errorf("empty name")
	}
	for i, c := range name {
		ok := c == '_' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || i > 0 && '0' <= c && c <= '9'
		if !ok {
			return fmt.Errorf("%q is not a variable name", name)
		}
	}
	if loaderVar(name) {
		return fmt.Errorf("loader variable %s would act on the launcher outside the sandbox", name)
	}
	return nil
}

// loaderVar reports variables of the dynamic loader.
func loaderVar(name string) bool { return strings.HasPrefix(name, "LD_") }

// maxInterpreters bounds the chain of "#!" interpreters followed.
const maxInterpreters = 4

// withInterpreters returns paths followed by the interpreters the kernel
// opens, with the execute right checked, to run each regular file among
// them, canonical and without duplicates. Directories are taken as they
// are: their programs' interpreters are the caller's to list.
func withInterpreters(paths []string) ([]string, error) {
	out := slices.Clone(paths)
	for i := 0; i < len(out); i++ {
		fi, err := os.Stat(out[i])
		if err != nil {
			return nil, fmt.Errorf("%w: Execute entry %q: %v", ErrPolicy, out[i], err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		interp, err := interpreterOf(out[i])
		if err != nil {
			return nil, fmt.Errorf("%w: Execute entry %q: %v", ErrPolicy, out[i], err)
		}
		if interp == "" {
			continue
		}
		c, err := filepath.EvalSymlinks(interp)
		if err != nil {
			return nil, fmt.Errorf("%w: interpreter %q of %q: %v", ErrPolicy, interp, out[i], err)
		}
		if !slices.Contains(out, c) {
			if len(out)-len(paths) >= maxInterpreters*len(paths) {
				return nil, fmt.Errorf("%w: too many interpreters for the Execute entries", ErrPolicy)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// interpreterOf returns the file the kernel opens to run path: the
// PT_INTERP of an ELF file, the first word of a "#!" line; "" when there
// is none (a static program, a file that is no program).
func interpreterOf(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if bytes.HasPrefix(head, []byte("#!")) {
		line, _, _ := bytes.Cut(head[2:], []byte("\n"))
		fields := strings.Fields(string(line))
		if len(fields) == 0 || !filepath.IsAbs(fields[0]) {
			return "", fmt.Errorf("unreadable \"#!\" line")
		}
		return fields[0], nil
	}
	if !bytes.HasPrefix(head, []byte(elf.ELFMAG)) {
		return "", nil
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return "", err
	}
	for _, prog := range ef.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, min(prog.Filesz, 4096))
		if _, err := prog.ReadAt(b, 0); err != nil {
			return "", err
		}
		interp := string(bytes.TrimRight(b, "\x00"))
		if !filepath.IsAbs(interp) {
			return "", fmt.Errorf("ELF interpreter %q is not absolute", interp)
		}
		return interp, nil
	}
	return "", nil
}
