package git

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/jail"
)

// raceDuration is how long each variant of the race test runs at least,
// raceMinCalls how many calls it makes at least.
const (
	raceDuration = 2500 * time.Millisecond
	raceMinCalls = 96
)

// evilDrivers is configuration that names, for the driver "x" the
// attributes select, a program at every key git runs one from during
// add, status, diff, commit, checkout, merge and stash. Each program only
// needs the shell (its builtins write the marker), so the test shows
// whether anything named by the repository starts at all.
func evilDrivers(markDir string) string {
	mark := func(name string) string {
		return fmt.Sprintf("echo >>%s", shellQuote(filepath.Join(markDir, name)))
	}
	return "[filter \"x\"]\n" +
		"\tclean = \"" + mark("clean") + "; cat\"\n" +
		"\tsmudge = \"" + mark("smudge") + "; cat\"\n" +
		"[diff \"x\"]\n" +
		"\ttextconv = \"" + mark("textconv") + "; cat\"\n" +
		"\tcommand = \"" + mark("diffcommand") + "; true\"\n" +
		"[merge \"x\"]\n" +
		"\tdriver = \"" + mark("mergedriver") + "; false\"\n"
}

// TestConfigRaceNeverRunsAProgram: a second writer of the repository (the
// agent in Docker Mode, or a concurrent call) flips .git/config and
// .gitattributes between benign content and drivers naming a program,
// by rename and by writing in place, while git tools run in a loop. No
// program named by the repository may ever run, jailed or not, whatever
// the interleaving. The positive control shows plain git runs them.
func TestConfigRaceNeverRunsAProgram(t *testing.T) {
	requireGit(t)
	// Each layer alone: unjailed, the configuration watch; jailed, the
	// execute allowlist with the watch turned off.
	for _, tc := range []struct {
		name   string
		jailed bool
		rename bool
	}{
		{"unjailed/rename", false, true},
		{"unjailed/inplace", false, false},
		{"jailed-unwatched/rename", true, true},
		{"jailed-unwatched/inplace", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.jailed {
				requireJail(t)
			}
			markDir, err := filepath.EvalSymlinks(t.TempDir())
			require.NoError(t, err)
			opts := Options{}
			if tc.jailed {
				// The markers are writable in the jail: a program that
				// started would leave one.
				opts.Jail = &jail.Policy{ReadWrite: []string{markDir}}
			}
			f := newFixture(t, opts)
			f.s.unwatched = tc.jailed
			commitFile(t, f.repo, "a.txt", "a\n", "a")
			rawGit(t, f.repo, "branch", "other")
			commitFile(t, f.repo, "a.txt", "main\n", "main side")
			gitDir := filepath.Join(f.repo, ".git")
			cfgPath := filepath.Join(gitDir, "config")
			benignCfg, err := os.ReadFile(cfgPath)
			require.NoError(t, err)
			evilCfg := append(append([]byte(nil), benignCfg...), evilDrivers(markDir)...)
			attrPath := filepath.Join(f.repo, ".gitattributes")
			infoAttr := filepath.Join(gitDir, "info", "attributes")
			evilAttr := []byte("* filter=x diff=x merge=x\n")

			// Positive control: with the evil content in place, plain git
			// runs the programs.
			require.NoError(t, os.WriteFile(cfgPath, evilCfg, 0o644))
			require.NoError(t, os.WriteFile(attrPath, evilAttr, 0o644))
			writeFile(t, filepath.Join(f.repo, "a.txt"), "control\n")
			_, _ = rawGitErr(t, f.repo, "add", "a.txt")
			_, _ = rawGitErr(t, f.repo, "diff", "HEAD")
			entries, err := os.ReadDir(markDir)
			require.NoError(t, err)
			require.NotEmpty(t, entries, "positive control: plain git runs the drivers")
			require.NoError(t, os.RemoveAll(markDir))
			require.NoError(t, os.Mkdir(markDir, 0o755))
			require.NoError(t, os.WriteFile(cfgPath, benignCfg, 0o644))
			require.NoError(t, os.Remove(attrPath))
			rawGit(t, f.repo, "reset", "-q", "--hard")

			put := func(path string, b []byte) {
				if !tc.rename {
					_ = os.WriteFile(path, b, 0o644)
					return
				}
				tmp := path + ".flip"
				if os.WriteFile(tmp, b, 0o644) == nil {
					_ = os.Rename(tmp, path)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() {
				for i := 0; ctx.Err() == nil; i++ {
					if i%2 == 0 {
						put(cfgPath, evilCfg)
						put(attrPath, evilAttr)
						put(infoAttr, evilAttr)
					} else {
						put(cfgPath, benignCfg)
						put(attrPath, []byte("\n"))
						put(infoAttr, []byte("\n"))
					}
					time.Sleep(time.Duration(i%5) * 100 * time.Microsecond)
				}
			})
			// Jailed, no program may start. Unjailed, the server can only
			// see the change after git ran: a call during which a program
			// ran must have failed with the configuration-changed refusal.
			seen := 0
			detected := 0
			calls := 0
			var ran []string
			call := func(tool string, args map[string]any) {
				res, err := f.s.Call(context.Background(), ironcurtain.ToolCall{Session: testSession, Server: ServerName, Tool: tool, Arguments: args})
				require.NoError(t, err, tool)
				calls++
				if res.IsError && strings.Contains(res.Text(), "changed while git was running") {
					detected++
				}
				entries, err := os.ReadDir(markDir)
				require.NoError(t, err)
				if len(entries) == seen {
					return
				}
				seen = len(entries)
				for _, e := range entries {
					ran = append(ran, e.Name())
				}
				if !tc.jailed {
					require.True(t, res.IsError, "%s succeeded although a program the repository named ran during it: %s", tool, res.Text())
					require.Contains(t, res.Text(), "changed while git was running")
				}
			}
			// At least raceMinCalls calls (the unfixed server ran a program
			// within 16), at most raceDuration after that.
			deadline := time.Now().Add(raceDuration)
			hardStop := deadline.Add(3 * raceDuration)
			for i := 0; (time.Now().Before(deadline) || calls < raceMinCalls) && time.Now().Before(hardStop); i++ {
				_ = os.WriteFile(filepath.Join(f.repo, "a.txt"), []byte("change "+strconv.Itoa(i)+"\n"), 0o644)
				call("git_status", nil)
				call("git_diff", nil)
				call("git_add", map[string]any{"all": true})
				call("git_commit", map[string]any{"message": "c" + strconv.Itoa(i), "allowEmpty": true})
				call("git_checkout", map[string]any{"target": "other", "force": true})
				call("git_checkout", map[string]any{"target": "main", "force": true})
				call("git_merge", map[string]any{"branch": "other"})
				call("git_merge", map[string]any{"abort": true})
				if tc.jailed && len(ran) > 0 {
					break
				}
			}
			cancel()
			wg.Wait()
			if tc.jailed {
				require.Empty(t, ran, "a program named by the repository ran during %d calls", calls)
			}
			if !tc.jailed {
				require.Positive(t, detected, "the flips were seen: some calls were refused")
			}
			t.Logf("%d calls, %d refused for a changed configuration, programs that ran (unjailed, in refused calls): %d",
				calls, detected, len(ran))
		})
	}
}
