// Package jail runs a program — an external MCP server, one git
// invocation — in a sandbox of its own on Linux: Landlock file and network
// rules, a seccomp filter, no capabilities, no_new_privs, and an
// environment built from nothing. It is the layer beneath the policy: the
// Gate decides which calls reach a tool server; the jail limits what a
// tool server that misbehaves (a compromised third-party server, git on a
// hostile repository) can do with the machine.
//
//	c, err := jail.Command(ctx, jail.Policy{
//		ReadWrite:  []string{"/home/me/agent-sandbox"},
//		ConnectTCP: []uint16{443},
//		Env:        []string{"PATH", "HOME=/home/me/agent-sandbox"},
//	}, "mcp-server-fetch")
//	if err != nil {
//		return err // ErrPolicy, ErrCredentialPath, ErrUnsupported, *exec.Error
//	}
//	audit(c.Enforcement) // "landlock ABI 7, seccomp", or UNSANDBOXED (...)
//	c.Stdin, c.Stdout = in, out
//	if err := c.Start(); err != nil {
//		return err // ErrLaunch: the sandbox could not be applied
//	}
//
// # Threat model
//
// The jailed program is hostile. It may read only the files of
// [BaseReadOnly] (system programs and libraries, a few /etc files, TLS
// roots), its own executable and the Policy's ReadOnly paths, and write
// only beneath ReadWrite; everything else — the user's home, keys and
// tokens, /tmp, other projects — is denied by the kernel, for root as much
// as for anyone. It may connect to the hosts and TCP ports Policy.Connect
// names and nothing else (see "Hosts" below), or with the weaker
// ConnectTCP to the ports named on every host; it may listen on the ports
// BindTCP names; with no port granted it cannot open any IP socket.
// It may connect only to the Unix sockets the Policy names (see "Unix
// sockets" below); with none named it cannot make a Unix socket at all.
// It cannot trace or read other processes, load kernel modules, use the
// kernel keyrings, mount, enter namespaces, use eBPF, io_uring or
// userfaultfd, push keystrokes into a terminal, signal processes outside
// its jail or reach abstract sockets outside it (Landlock ABI 6+).
// Whatever it executes inherits all of this. The filter answers EPERM
// rather than killing, so a well-behaved tool sees an ordinary error.
//
// The credential stores of [CredentialPaths] (~/.ssh, ~/.aws, ~/.gnupg,
// ~/.config/gcloud, ...) are protected by construction: Landlock only
// allows, so a Policy whose ReadOnly or ReadWrite entry contains one (the
// home directory, "/") or lies inside one is refused with
// [ErrCredentialPath], after symbolic links are resolved.
//
// Out of scope: kernel exploits (the filter narrows the surface, it does
// not remove it), denial of service (CPU, memory, disk in the writable
// paths), and what the program does with what it was granted.
//
// # What Landlock can and cannot express
//
// Landlock rules name file hierarchies and TCP ports. They cannot name a
// host: a port granted by ConnectTCP is granted on every address, so
// "port 443" is "any host, port 443"; Connect names hosts by a network
// namespace instead (below). Before ABI 10 UDP is not restricted at all;
// it is allowed with any TCP grant, for DNS, and refused with none; with
// Connect it has nowhere to go. Before
// ABI 9 Landlock does not restrict connecting to a Unix socket by path;
// the filter therefore refuses Unix sockets unless Policy.UnixSockets
// names some, and then the jail confines them by namespace (below).
// Landlock cannot deny beneath an allowed directory, and it does not
// restrict stat, chmod, chown, utime, setxattr or flock: a jailed program
// can see that ~/.ssh/id_rsa exists and change its mode, but not read it.
// Older ABIs restrict less; where the filter can make up for it it does
// (truncate before ABI 3, sockets whatever the ABI), and per-port rules
// on a kernel before ABI 4 are refused with [ErrUnsupported].
//
// # Unix sockets
//
// A Policy with UnixSockets (socket paths, or directories of sockets)
// starts the launcher in a user and mount namespace of its own. Before
// anything else the launcher builds a root on a fresh tmpfs holding only
// the paths of [BaseReadOnly], the program, the Policy's grants and its
// socket grants, each bind-mounted from a descriptor pinned beforehand
// (grants without following any link, mount points opened beneath the new
// root without following any), pivots into it and detaches the old root.
// A socket that is not in that root cannot be named, by connect(2),
// sendto(2) or anything else; Landlock keeps the other processes'
// /proc/<pid>/root out of reach. Sockets beneath a ReadOnly or ReadWrite
// grant are reachable too, so with UnixSockets no grant may be, contain or
// lie inside a container daemon's socket ([DaemonSockets]) or a Protected
// path. The launcher refuses to build the root in its parent's mount
// namespace, so a Cmd whose SysProcAttr lost the clone flags fails closed
// (Start puts them back; starting the embedded exec.Cmd does not).
//
// # Masked paths
//
// Landlock cannot deny a path beneath a granted directory, so a Policy
// with Masked paths runs in the same private namespace and root, in which
// the launcher covers each masked path with an empty read-only node of
// mode 0 (a file over a file, a directory over a directory), resolving
// and mounting by descriptor without following any link. The program can
// neither read, list nor write a masked path, nor rename, delete or
// replace it (a mount point is busy), nor move a directory between it and
// its grant (each is made a mount point too); a masked path that does not
// exist cannot be created, its deepest existing ancestor being read-only.
// A masked file with other hard links is refused. Where the namespaces
// cannot be made, masks need Accept to name masked-paths.
//
// # Hosts
//
// A Policy with Connect starts the launcher in a user, mount and network
// namespace of its own: a loopback device and no route anywhere else. The
// launcher builds the private root as for Unix sockets, with an
// /etc/hosts listing only the granted names, each at a loopback address of
// its own (127.1.0.1 on; no IPv6 entries), and an /etc/resolv.conf whose
// name server is an unused loopback address; it brings loopback up, gives
// it each of those addresses and each granted IP address, listens on every
// granted address and port, and passes the listening sockets to the
// parent over an inherited socketpair. Start takes them and, from the
// parent's own namespace, makes each connection accepted there to the
// granted host and port (Policy.Dial; resolved by the parent), at most 64
// at once, until the program exits. So the program reaches a granted host
// by its name (TLS checks that name) or its address, and nothing else: not
// another host by name or IP literal, not IPv6, not UDP, not DNS. The
// launcher refuses to run in its parent's network namespace, and only
// [Cmd.Start] forwards: starting the embedded exec.Cmd directly leaves the
// program without its granted hosts.
//
// # Kernel support, and running without
//
// [Check] and [Command] detect the Landlock ABI, seccomp and, for a Policy
// with UnixSockets, Masked or Connect, whether the namespaces can be made
// (one probe process per kind, once per program run). A jail the kernel cannot enforce as written is
// refused, never silently weakened: each [Protection] the Policy needs and
// the kernel lacks — landlock, seccomp, tcp-ports (ABI 4), signal-scope
// (ABI 6), abstract-unix-scope (ABI 6, with UnixSockets),
// unix-socket-paths (namespaces and Landlock, with UnixSockets),
// masked-paths (namespaces and Landlock, with Masked),
// tcp-hosts (user, mount and network namespaces, with Connect; without, its
// ports are granted on every host) — makes
// Command fail with [ErrUnsupported] unless Policy.Accept names it, or
// Policy.Unsandboxed accepts whatever is missing; what ran without is
// listed in [Enforcement].Missing for the caller's audit log. The launcher enforces the exact ABI the parent chose (not "best
// effort"), up to ABI 8, the newest whose rights this package writes
// rules for.
//
// # The launcher
//
// Go runs no code between fork and exec, so a Cmd starts the running
// binary again (/proc/self/exe) in launcher mode. This package's init
// function recognises the mode before main runs, reads the plan (the
// program, its grants, the ABI) from an inherited sealed memory file,
// builds the private root (with UnixSockets, Masked or Connect) and the
// network (with Connect), sets no_new_privs, drops
// every capability, applies Landlock to all threads, installs the seccomp
// filter, writes one byte on a status pipe and execs the program. The program and every grant travel in canonical
// form (symbolic links resolved by the parent, where the credential check
// happens) and are opened by the launcher without following any link, so
// a path swapped for a link to ~/.ssh in between fails the launch rather
// than granting where the link leads. Any failure ends the launcher with status 126
// and the reason on the status pipe and standard error; the program never
// runs unjailed. Start reads the status pipe and returns [ErrLaunch]
// unless the byte arrived — which also catches a launcher binary that
// lacks the hook. Because the hook is an init function, every binary that
// can call Command has it, test binaries included: neither main nor
// TestMain has anything to call. The price is that the launcher runs the
// init functions of the packages initialised before this one, and starts
// a binary the size of the SDK's (a few milliseconds per program; see
// BenchmarkLauncherStartup).
//
// The launcher runs with the environment given for the program until it
// execs it, so variables of the dynamic loader (LD_*) are refused: they
// would load code into it before the sandbox is in place.
//
// Architectures: amd64 and arm64 (also 386 and arm, the filter library's
// other tables). A system call made through another architecture's entry
// point (int 0x80 on amd64) is refused outright.
package jail
