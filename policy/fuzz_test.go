package policy

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// FuzzURL checks the URL canonicalisers: no panic; a canonical URL parses
// to the same host; IP literals and reserved names never pass for public
// names; and a host is what Go's URL parser — the one the fetch tool uses —
// sees in the canonical form.
func FuzzURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com/a?b#c", "http://127.1/", "http://0x7f.0.0.1", "http://[::ffff:127.0.0.1]:80/",
		"https://user:pw@Example.COM:8443/x", "http://localhost./", "file:///etc/passwd", "http://%31/",
		"git@github.com:o/r.git", "ssh://git@gitlab.com/o/r", "ext::sh -c id", "origin", "../repo", "http://a..b/",
		"https://xn--nxasmq6b.com/", "http://4294967295/", "http://0/", "http://1.2.3.4.5/", "https://a.b.c.d.e/",
	} {
		f.Add(s)
	}
	star, _ := compileDomains([]string{"*"})
	suffix, err := compileDomains([]string{"*.com", "*.net", "*.arpa"})
	require.NoError(f, err)
	_, err = compileDomains([]string{"*.0.0.1"})
	require.Error(f, err, "a wildcard over an IP address is refused at load")
	f.Fuzz(func(t *testing.T, raw string) {
		for _, parse := range []func(string) urlValue{parseFetchURL, parseGitURL} {
			v := parse(raw)
			if !v.matchable() {
				continue
			}
			if v.host.ip {
				require.False(t, star.match(v.host, v.full), "IP literal %q matched *", raw)
				require.False(t, suffix.match(v.host, v.host.name), "IP literal %q matched a suffix", raw)
			}
			if v.host.public {
				require.True(t, isPublicName(v.host.name))
				require.Contains(t, strings.TrimSuffix(v.host.name, "."), ".")
			}
			again := parse(v.canonical)
			require.Equal(t, v.host, again.host, "canonical %q of %q", v.canonical, raw)
			require.Equal(t, v.full, again.full)
			if strings.Contains(v.canonical, "://") {
				u, err := url.Parse(v.canonical)
				require.NoError(t, err)
				h := parseHost(u.Hostname())
				require.Equal(t, v.host.name, h.name, "the fetch tool would see another host")
			}
		}
	})
}

// FuzzGitConfig checks that hostile repository configuration never panics
// the parser and that what it accepts is well-formed.
func FuzzGitConfig(f *testing.F) {
	for _, s := range []string{
		"[remote \"origin\"]\n\turl = https://x/y\n", "[a.b]\nk=v ; c\n", "[s]\nk = \"q\\\"x\" \\\n more\n",
		"[url \"https://e/\"]\n\tinsteadOf = https://g/\n", "\xef\xbb\xbf[url \"https://e/\"]\n\tinsteadOf = https://g/\n", "[", "k=v", "[s]\n=x", "[s \"unterminated]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := parseGitConfig(data)
		if err != nil {
			return
		}
		for _, e := range entries {
			require.NotEmpty(t, e.section)
			require.NotEmpty(t, e.key)
			require.Equal(t, strings.ToLower(e.section), e.section)
			require.Equal(t, strings.ToLower(e.key), e.key)
		}
	})
}

// FuzzLoad feeds arbitrary compiled policies to the loader: it either
// refuses them with a LoadError or builds an engine that decides calls
// without panicking, and never allows a protected path.
func FuzzLoad(f *testing.F) {
	seed, err := os.ReadFile("testdata/fixture/compiled-policy.json")
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte(`{"rules":[{"name":"a","if":{},"then":"allow","reason":"r"}]}`))
	f.Add([]byte(`{"rules":[{"name":"a","if":{"paths":{"roles":["read-path"],"within":"/"}},"then":"allow","reason":"r"}]}`))
	ann, err := os.ReadFile("testdata/fixture/tool-annotations.json")
	require.NoError(f, err)
	lists, err := os.ReadFile("testdata/fixture/dynamic-lists.json")
	require.NoError(f, err)
	home := f.TempDir()
	require.NoError(f, os.MkdirAll(home+"/.ssh", 0o700))
	calls := []ironcurtain.ToolCall{
		call("filesystem", "read_file", "path", "~/.ssh/id_rsa"),
		call("filesystem", "read_multiple_files", "paths", []any{"a", "~/Downloads/x"}),
		call("git", "git_push", "path", home, "remote", "origin"),
		call("fetch", "http_fetch", "url", "http://localhost/"),
		call("mail", "send_mail", "to", "x@y.z"),
	}
	f.Fuzz(func(t *testing.T, policy []byte) {
		a, err := ReadArtifacts(policy, ann, lists)
		if err != nil {
			return
		}
		e, err := New(a, Config{Home: home, Sandbox: home + "/sandbox"})
		if err != nil {
			return
		}
		_ = e.Lint()
		for _, c := range calls {
			d, err := e.Evaluate(context.Background(), c)
			require.NoError(t, err)
			require.LessOrEqual(t, d.Verdict.Severity(), 2)
			require.NotEmpty(t, d.Rule)
		}
		d, _ := e.Evaluate(context.Background(), calls[0])
		require.Equal(t, ironcurtain.Deny, d.Verdict)
	})
}
