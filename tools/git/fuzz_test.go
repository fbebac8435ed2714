package git

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every parser of git output (and of the credential client's requests)
// has a fuzz target. The parsers read output of a hostile repository, so
// beyond "never panics" the targets check the properties callers rely on.

const fuzzMarker = "\x1e0123456789abcdef"

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("# branch.oid abc\x00# branch.head main\x00# branch.upstream origin/main\x00# branch.ab +1 -2\x00" +
		"1 .M N... 100644 100644 100644 aaa aaa README\x00" +
		"2 R. N... 100644 100644 100644 aaa aaa R100 new name\x00old name\x00" +
		"u UU N... 100644 100644 100644 100644 a b c conflicted file\x00? untracked\x00! ignored\x00"))
	f.Add([]byte("# branch.oid (initial)\x00# branch.head (detached)\x00"))
	f.Add([]byte("2 R. x\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStatus(b)
		if err != nil {
			return
		}
		require.Equal(t, len(st.Staged)+len(st.Unstaged)+len(st.Untracked)+len(st.Conflicted) == 0, st.Clean)
	})
}

func FuzzParseLog(f *testing.F) {
	f.Add("Alice", "a@x", "subject", "body\nmore", "stat text", false)
	f.Add("", "", "", "", "", true)
	f.Add("evil\x1e0000000000000000", "x", "s\x1e", "b", "", false)
	f.Fuzz(func(t *testing.T, author, email, subject, body, details string, sig bool) {
		// Round trip: any commit whose fields hold no NUL and not the
		// per-call marker (which the repository cannot know) parses back.
		for _, s := range []string{author, email, subject, body, details} {
			if strings.Contains(s, "\x00") || strings.Contains(s, fuzzMarker) {
				return
			}
		}
		fields := []string{"h1", "h", author, email, "2024-01-01T00:00:00+00:00", "p1 p2", subject, body}
		if sig {
			fields = append(fields, "G", "signer")
		}
		rec := fuzzMarker + strings.Join(fields, "\x00") + "\x00\n" + details + "\n"
		commits, partial := parseLog(rec+rec, fuzzMarker, sig)
		require.False(t, partial)
		require.Len(t, commits, 2)
		c := commits[0]
		require.Equal(t, author, c.Author)
		require.Equal(t, subject, c.Subject)
		require.Equal(t, strings.TrimSpace(body), c.Body)
		require.Equal(t, []string{"p1", "p2"}, c.Parents)
		// Arbitrary (cut) output never panics.
		parseLog(rec[:len(rec)/2], fuzzMarker, sig)
		parseLog(author+subject, fuzzMarker, sig)
	})
}

// fuzzRecords fuzzes a parser of marker-separated records (see
// splitRecords): output it accepts has exactly one record per marker.
func fuzzRecords[T any](f *testing.F, parse func(out, marker string) ([]T, error), seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		recs, err := parse(out, fuzzMarker)
		if err == nil {
			require.Equal(t, strings.Count(out, fuzzMarker), len(recs))
		}
	})
}

func FuzzParseBranches(f *testing.F) {
	fuzzRecords(f, parseBranches,
		fuzzMarker+"refs/heads/main\x00main\x00abc\x00*\x00origin/main\x00ahead 1, behind 2\x00subject\n",
		fuzzMarker+"refs/remotes/o/x\x00o/x\x00abc\x00 \x00\x00gone\x00s\n",
		"junk")
}

func FuzzParseTags(f *testing.F) {
	fuzzRecords(f, parseTags,
		fuzzMarker+"v1\x00tag\x00t1\x00c1\x002024-01-01T00:00:00Z\x00release\n",
		fuzzMarker+"v0\x00commit\x00c0\x00\x002024-01-01T00:00:00Z\x00\n")
}

func FuzzParseStashList(f *testing.F) {
	fuzzRecords(f, parseStashList, fuzzMarker+"stash@{0}\x00abc\x00On main: wip\n")
}

func FuzzParseWorktrees(f *testing.F) {
	f.Add([]byte("worktree /r\x00HEAD abc\x00branch refs/heads/main\x00\x00worktree /w\x00HEAD def\x00detached\x00locked reason\x00prunable gone\x00\x00"))
	f.Add([]byte("worktree /b\x00bare\x00\x00"))
	f.Add([]byte("HEAD x\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		trees, err := parseWorktrees(b)
		if err == nil {
			require.LessOrEqual(t, len(trees), strings.Count(string(b), "worktree"))
		}
	})
}

func FuzzParseRemotes(f *testing.F) {
	f.Add("origin\thttps://u:p@h/r (fetch)\norigin\thttps://h/r (push)\n")
	f.Add("x\ty\n")
	f.Fuzz(func(t *testing.T, out string) {
		remotes, err := parseRemotes(out)
		if err != nil {
			return
		}
		for _, r := range remotes {
			require.Equal(t, r.FetchURL, redactURL(r.FetchURL), "redaction is idempotent")
		}
	})
}

func FuzzParseLocation(f *testing.F) {
	f.Add("false\ntrue\n/r/.git\n.git\n\n")
	f.Add("true\nfalse\n/b.git\n.\n")
	f.Add("false\ntrue\n/r/.git\n.git\n")
	f.Fuzz(func(t *testing.T, out string) {
		l, err := parseLocation(out)
		if err == nil {
			require.True(t, strings.HasPrefix(l.gitDir, "/"))
			require.NotContains(t, l.gitDir+l.commonDir+l.cdup, "\n")
		}
	})
}

func FuzzParseConfigKeys(f *testing.F) {
	f.Add([]byte("core.bare\x00filter.a=b.clean\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parseConfigKeys(b)
		if err != nil {
			return
		}
		o := overridesFor(keys)
		for _, c := range o.config {
			require.NotContains(t, c.key, "\n")
		}
	})
}

func FuzzOverridesFor(f *testing.F) {
	f.Add("filter.x.clean")
	f.Add("FILTER.x.y.SMUDGE")
	f.Add("http.https://a/.proxy")
	f.Add(".")
	f.Fuzz(func(t *testing.T, key string) {
		o := overridesFor([]string{key})
		require.LessOrEqual(t, len(o.config)+len(o.refuse), 1)
		section, name, _, ok := splitKey(key)
		dangerous := ok && ((section == "filter" && (name == "clean" || name == "smudge" || name == "process")) ||
			(section == "merge" && name == "driver") || (section == "diff" && (name == "textconv" || name == "command")))
		if dangerous && strings.Count(key, ".") >= 2 {
			require.Len(t, o.config, 1, "a program key is always overridden: %q", key)
			require.Equal(t, key, o.config[0].key)
			require.Empty(t, o.config[0].value)
		}
	})
}

func FuzzParseVersion(f *testing.F) {
	f.Add("git version 2.39.5\n")
	f.Fuzz(func(t *testing.T, s string) {
		major, minor, ok := parseVersion(s)
		if ok {
			require.GreaterOrEqual(t, major, 0)
			require.GreaterOrEqual(t, minor, 0)
		}
	})
}

func FuzzCheckRefName(f *testing.F) {
	for _, s := range []string{"main", "-x", "a..b", "a/.b", "x.lock", "a@{1}", "feature/x", "+main"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if checkRefName("name", name) != nil {
			return
		}
		require.False(t, strings.HasPrefix(name, "-"))
		require.False(t, strings.HasPrefix(name, "+"), "a leading + forces a refspec")
		require.False(t, hasControl(name))
		require.NotContains(t, name, "..")
		require.NotContains(t, name, "@{")
		require.False(t, strings.ContainsAny(name, " ~^:?*[\\"))
		for comp := range strings.SplitSeq(name, "/") {
			require.NotEmpty(t, comp)
			require.False(t, strings.HasPrefix(comp, "."))
			require.False(t, strings.HasSuffix(comp, ".lock"))
		}
	})
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://h/r", "ext::sh", "fd::1", "git@h:r", "/p", "-x", "a::b", "HTTPS::x"} {
		f.Add(s)
	}
	all := []string{"https", "http", "ssh", "git", "file"}
	f.Fuzz(func(t *testing.T, u string) {
		proto, err := checkURL("url", u, all)
		if err != nil {
			return
		}
		require.Contains(t, all, proto)
		require.False(t, strings.HasPrefix(u, "-"))
		require.False(t, strings.HasPrefix(strings.ToLower(u), "ext::"))
		require.False(t, strings.HasPrefix(strings.ToLower(u), "fd::"))
		require.False(t, hasControl(u))
	})
}

func FuzzRedactURL(f *testing.F) {
	f.Add("https://user:pw@host/r")
	f.Fuzz(func(t *testing.T, u string) {
		r := redactURL(u)
		require.Equal(t, r, redactURL(r))
	})
}

func FuzzGitlinkCollector(f *testing.F) {
	f.Add([]byte("100644 abc 0\tREADME\x00160000 def 0\tsub module\x00"), 3)
	f.Add([]byte("160000 x 0\t\x00160000 y"), 1)
	f.Fuzz(func(t *testing.T, b []byte, chunk int) {
		if chunk < 1 {
			chunk = 1
		}
		// Split writes anywhere: the result must not depend on chunking.
		whole := &gitlinkCollector{}
		_, _ = whole.Write(b)
		parts := &gitlinkCollector{}
		for rest := b; len(rest) > 0; {
			n := min(chunk, len(rest))
			_, _ = parts.Write(rest[:n])
			rest = rest[n:]
		}
		require.Equal(t, whole.paths, parts.paths)
		for _, p := range whole.paths {
			require.NotEmpty(t, p)
			require.NotContains(t, p, "\x00")
		}
	})
}
