package policy

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestGitConfigViewEqualsGit: for generated configurations (remotes,
// insteadOf and pushInsteadOf rewrites, a BOM, odd quoting and case), the
// URL the engine works out for a remote is the one git reports, and it is
// among the URLs the engine judges.
func TestGitConfigViewEqualsGit(t *testing.T) {
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	home := t.TempDir()
	run := func(args ...string) (string, bool) {
		cmd := exec.Command(gitBin, args...)
		cmd.Dir = dir
		cmd.Env = []string{"HOME=" + home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "LC_ALL=C"}
		out, err := cmd.Output()
		return strings.TrimSuffix(string(out), "\n"), err == nil
	}
	if _, ok := run("init", "-q"); !ok {
		t.Skip("git init failed")
	}
	base, err := os.ReadFile(filepath.Join(dir, ".git", "config"))
	require.NoError(t, err)
	prefixes := []string{"https://github.com/", "https://github.com/alice/", "git@github.com:", "https://evil.test/", "gh:", "https://gitlab.com/x"}
	quote := func(t *rapid.T, v string) string {
		switch rapid.IntRange(0, 3).Draw(t, "quoting") {
		case 1:
			return `"` + v + `"`
		case 2:
			return v + "   ; a comment"
		case 3:
			return `"` + v[:len(v)/2] + `"` + v[len(v)/2:]
		}
		return v
	}
	key := func(t *rapid.T, k string) string {
		if rapid.Bool().Draw(t, "upper") {
			return strings.ToUpper(k[:1]) + k[1:]
		}
		return k
	}
	var rc repoCache
	rapid.Check(t, func(t *rapid.T) {
		var b strings.Builder
		if rapid.Bool().Draw(t, "bom") {
			b.WriteString("\xef\xbb\xbf")
		}
		b.Write(base)
		for i := range rapid.IntRange(0, 4).Draw(t, "rules") {
			kind := rapid.SampledFrom([]string{"insteadOf", "pushInsteadOf"}).Draw(t, "kind")
			to := rapid.SampledFrom(prefixes).Draw(t, "to")
			from := rapid.SampledFrom(prefixes).Draw(t, "from")
			b.WriteString("[url \"" + to + "\"]\n\t" + key(t, kind) + " = " + quote(t, from) + "\n")
			_ = i
		}
		names := []string{"origin", "up"}
		for _, n := range names {
			if rapid.Bool().Draw(t, "legacy") {
				b.WriteString("[remote." + n + "]\n")
			} else {
				b.WriteString("[Remote \"" + n + "\"]\n")
			}
			u := rapid.SampledFrom(prefixes).Draw(t, "url") + "p.git"
			b.WriteString("\t" + key(t, "url") + "=" + quote(t, u) + "\n")
			if rapid.Bool().Draw(t, "haspush") {
				b.WriteString("\tpushurl = " + quote(t, rapid.SampledFrom(prefixes).Draw(t, "pushurl")+"q") + "\n")
			}
		}
		explicit := rapid.SampledFrom(prefixes).Draw(t, "explicit") + "e"
		cfgText := b.String()
		require.NoError(t, os.WriteFile(filepath.Join(dir, ".git", "config"), []byte(cfgText), 0o644))
		cfg, found, err := rc.load(dir, home)
		require.NoError(t, err, cfgText)
		require.True(t, found)
		for _, n := range names {
			for _, push := range []bool{false, true} {
				args := []string{"remote", "get-url"}
				if push {
					args = append(args, "--push")
				}
				want, ok := run(append(args, n)...)
				require.True(t, ok, "git %v failed on\n%s", args, cfgText)
				got, ok := cfg.effectiveURL(n, push)
				require.True(t, ok)
				require.Equal(t, want, got, "remote %s push=%v\n%s", n, push, cfgText)
				require.True(t, slices.Contains(cfg.remoteURLs(n), want), "%s not judged: %v\n%s", want, cfg.remoteURLs(n), cfgText)
			}
		}
		want, ok := run("ls-remote", "--get-url", explicit)
		require.True(t, ok)
		judged := append([]string{explicit}, cfg.remoteURLsOf(explicit)...)
		require.True(t, slices.Contains(judged, want), "%s not judged: %v\n%s", want, judged, cfgText)
	})
}
