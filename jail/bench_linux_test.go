//go:build linux

package jail

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkLauncherStartup measures what the launcher adds to starting a
// program: a trivial one (/bin/true) and one git invocation, each run to
// completion directly and in a jail.
//
//	go test ./jail -run '^$' -bench LauncherStartup -benchtime 200x
func BenchmarkLauncherStartup(b *testing.B) {
	requireJail(b)
	programs := []struct {
		name string
		argv []string
	}{
		{"true", []string{"true"}},
		{"git-version", []string{"git", "--version"}},
	}
	for _, p := range programs {
		if _, err := exec.LookPath(p.argv[0]); err != nil {
			b.Logf("skipping %s: %v", p.name, err)
			continue
		}
		b.Run(p.name+"/direct", func(b *testing.B) {
			for b.Loop() {
				if err := exec.Command(p.argv[0], p.argv[1:]...).Run(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(p.name+"/jailed", func(b *testing.B) {
			runJailed(b, Policy{}, p.argv)
		})
		// With a masked file and a masked directory in a granted one: the
		// private namespace and root, and the masks.
		b.Run(p.name+"/jailed-masked", func(b *testing.B) {
			if !namespacesWork() {
				b.Skip("no user and mount namespaces here")
			}
			dir := b.TempDir()
			secret := filepath.Join(dir, "sub", "secret")
			if err := os.MkdirAll(filepath.Join(dir, "private"), 0o700); err != nil {
				b.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(secret), 0o700); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
				b.Fatal(err)
			}
			pol := Policy{ReadWrite: []string{dir}, Masked: []string{secret, filepath.Join(dir, "private")}}
			runJailed(b, pol, p.argv)
		})
		// With a socket grant: the private user and mount namespace and
		// its root, built per process.
		b.Run(p.name+"/jailed-socket", func(b *testing.B) {
			if !namespacesWork() {
				b.Skip("no user and mount namespaces here")
			}
			sock := filepath.Join(b.TempDir(), "s")
			l, err := net.Listen("unix", sock)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			runJailed(b, Policy{UnixSockets: []string{sock}}, p.argv)
		})
		// With a host grant: the private user, mount and network
		// namespace, its loopback, one listening socket passed back and
		// the forwarder.
		b.Run(p.name+"/jailed-hosts", func(b *testing.B) {
			if !netnsWork() {
				b.Skip("no user, mount and network namespaces here")
			}
			runJailed(b, Policy{Connect: []HostPort{{Host: "example.com", Port: 443}}}, p.argv)
		})
	}
}

// runJailed runs argv in a jail under pol to completion, b.N times.
func runJailed(b *testing.B, pol Policy, argv []string) {
	b.Helper()
	for b.Loop() {
		c, err := Command(context.Background(), pol, argv[0], argv[1:]...)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommand measures building a Cmd (validation, plan, memory
// file, pipe) without starting it.
func BenchmarkCommand(b *testing.B) {
	requireJail(b)
	p := Policy{ReadOnly: []string{"/usr/share"}, ConnectTCP: []uint16{443}}
	for b.Loop() {
		c, err := Command(context.Background(), p, "true")
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range c.extra {
			f.Close()
		}
		c.status.Close()
	}
}
