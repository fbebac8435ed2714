package stack_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ironcurtain-go/ironcurtain/jail"
	"github.com/ironcurtain-go/ironcurtain/stack"
	"github.com/ironcurtain-go/ironcurtain/tools/git"
)

// BenchmarkNew is the cost of assembling the stack ironcurtain run and exec
// assemble for each run: the default policy, the three built-in servers
// (git in its jail, accepted unsandboxed where the kernel lacks one), the
// drift check, an audit log (opened, verified, its open record written) and
// the Gate, then closing it all. TMPDIR decides the disk the sandbox and the
// audit log are on.
//
//	go test ./stack -run '^$' -bench New
func BenchmarkNew(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		d := filepath.Join(dir, strconv.Itoa(i))
		audit := filepath.Join(d, "audit.jsonl")
		s, err := stack.New(ctx, stack.Options{
			Sandbox: filepath.Join(d, "sandbox"),
			Audit:   audit,
			Git:     gitJail(audit),
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// gitJail is the git server's jail as jailedStack sets it: the audit log
// protected, and run without the jail where the kernel cannot enforce it.
func gitJail(audit string) git.Options {
	return git.Options{Jail: &jail.Policy{Unsandboxed: true, Protected: []string{audit}}}
}
