package jail

import "errors"

// Sentinel errors. Check them with errors.Is; never match error strings.
var (
	// ErrPolicy marks a Policy that cannot be enforced as written: a
	// relative or missing path, an invalid port or environment entry, a
	// grant covering a credential store.
	ErrPolicy = errors.New("jail: invalid policy")
	// ErrCredentialPath marks a ReadOnly or ReadWrite entry that contains,
	// or lies inside, a credential store (see [CredentialPaths]). Such an
	// error also satisfies errors.Is(err, ErrPolicy).
	ErrCredentialPath = errors.New("jail: grant covers a credential store")
	// ErrUnsupported marks a jail this kernel cannot enforce as written:
	// a missing Protection the Policy needs (no Landlock, no seccomp, no
	// per-port TCP rules before Landlock ABI 4, no signal or abstract
	// socket scoping before ABI 6, no user namespaces for socket paths)
	// that Policy.Accept does not name and Policy.Unsandboxed does not
	// accept, or an unsupported architecture. The message names what is
	// missing.
	ErrUnsupported = errors.New("jail: not supported by this kernel")
	// ErrLaunch marks a jailed program that did not start: the launcher
	// could not apply the sandbox (it then never runs the program), could
	// not execute the program, or did not answer at all — the sign of a
	// launcher binary without this package linked in.
	ErrLaunch = errors.New("jail: launch failed")
)
