package git

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckRefName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"main", true},
		{"feature/x-1", true},
		{"v1.2.3", true},
		{"release@2024", true},
		{"", false},
		{"-x", false},
		{"+main", false},
		{"a+b", true},
		{"--upload-pack=touch /tmp/x", false},
		{"a b", false},
		{"a~1", false},
		{"a^", false},
		{"a:b", false},
		{"a?", false},
		{"a*", false},
		{"a[", false},
		{`a\b`, false},
		{"a..b", false},
		{"a@{1}", false},
		{"@", false},
		{"a.", false},
		{"a/", false},
		{"/a", false},
		{"a//b", false},
		{".a", false},
		{"a/.b", false},
		{"a.lock", false},
		{"a/b.lock/c", false},
		{"a\x7f", false},
		{"a\tb", false},
		{"a\nb", false},
	}
	for _, tt := range tests {
		err := checkRefName("name", tt.name)
		if tt.ok {
			require.NoError(t, err, "%q", tt.name)
		} else {
			require.Error(t, err, "%q", tt.name)
		}
	}
	require.Error(t, checkBranchName("b", "HEAD"))
	require.NoError(t, checkRefName("tag", "HEAD"))
}

func TestCheckRevision(t *testing.T) {
	for _, ok := range []string{"HEAD~2", "main@{1}", "v1^{/fix bug}", "a1b2c3", "origin/main..HEAD", "HEAD:path/file"} {
		require.NoError(t, checkRevision("rev", ok), ok)
	}
	for _, bad := range []string{"", "-n", "--all", "a\nb", "a\x00b"} {
		require.Error(t, checkRevision("rev", bad), bad)
	}
}

// TestURLFunctions checks the functions that read or rewrite a URL
// against tables of inputs and the outputs wanted.
func TestURLFunctions(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fn    func(string) string
		cases map[string]string
	}{
		{"urlProtocol", urlProtocol, map[string]string{
			"https://github.com/a/b.git":   "https",
			"HTTPS://github.com/a/b.git":   "https",
			"http://example.com/r":         "http",
			"ssh://git@example.com/r":      "ssh",
			"git+ssh://example.com/r":      "ssh",
			"git@github.com:a/b.git":       "ssh",
			"github.com:a/b.git":           "ssh",
			"git://example.com/r":          "git",
			"file:///srv/r.git":            "file",
			"/srv/r.git":                   "file",
			"../r.git":                     "file",
			"./a:b":                        "file",
			"ext::sh -c touch% /tmp/x":     "helper:ext",
			"fd::17":                       "helper:fd",
			"EXT::x":                       "helper:ext",
			"https::github.com/a":          "helper:https",
			"persistent-https://host/repo": "helper:persistent-https",
			"ftp://example.com/r":          "helper:ftp",
		}},
		{"redactURL", redactURL, map[string]string{
			"https://user:pw@host/r":       "https://user:[redacted]@host/r",
			"https://tok@host/r":           "https://tok@host/r",
			"https://host/r@x":             "https://host/r@x",
			"git@host:r":                   "git@host:r",
			"https://u:p@ss@host/r":        "https://u:[redacted]@host/r",
			"https://host/path?q=a:b@c.de": "https://host/path?q=a:b@c.de",
		}},
	} {
		for in, want := range tt.cases {
			require.Equal(t, want, tt.fn(in), "%s(%q)", tt.name, in)
		}
	}
}

func TestCheckURL(t *testing.T) {
	all := []string{"https", "http", "ssh", "git", "file"}
	for _, ok := range []string{"https://github.com/a/b", "git@github.com:a/b", "https://user@host/r", "/srv/r.git"} {
		_, err := checkURL("url", ok, all)
		require.NoError(t, err, ok)
	}
	for _, bad := range []string{
		"ext::sh -c id", "fd::0", "-uhttps://x", "https://user:pw@host/r",
		"https:///path-only", "ssh://-oProxyCommand=x/r", "https://host/r\n",
		"ftp://example.com/r",
	} {
		_, err := checkURL("url", bad, all)
		require.Error(t, err, bad)
	}
	_, err := checkURL("url", "ssh://example.com/r", []string{"https"})
	require.ErrorContains(t, err, "ssh transport")
	_, err = checkURL("url", "https://example.com/r", nil)
	require.ErrorContains(t, err, "allowed: none")
}

func TestOverridesFor(t *testing.T) {
	o := overridesFor([]string{
		"core.bare", "user.name",
		"filter.lfs.clean", "filter.a=b.smudge", "filter.x.process", "filter.x.required",
		"diff.Ev.il.textconv", "diff.x.command", "diff.external", "diff.renames",
		"merge.evil.driver", "merge.renormalize",
		"trailer.sign.cmd", "gpg.ssh.program", "core.alternaterefscommand",
		"remote.origin.uploadpack", "remote.origin.receivepack", "remote.origin.vcs", "remote.origin.url",
		"color.diff", "color.diff.meta", "pager.log",
		"http.sslverify", "http.https://example.com/.sslverify", "http.followredirects",
		"http.proxy", "remote.origin.proxy", "http.https://x/.sslcainfo",
		"filter.lfs.clean", // duplicates are overridden once
	})
	want := []configEntry{
		{"filter.lfs.clean", ""}, {"filter.a=b.smudge", ""}, {"filter.x.process", ""}, {"filter.x.required", "false"},
		{"diff.Ev.il.textconv", ""}, {"diff.x.command", ""}, {"diff.external", ""},
		{"merge.evil.driver", ""}, {"trailer.sign.cmd", ""}, {"gpg.ssh.program", ""}, {"core.alternaterefscommand", ""},
		{"remote.origin.uploadpack", "git-upload-pack"}, {"remote.origin.receivepack", "git-receive-pack"}, {"remote.origin.vcs", ""},
		{"color.diff", "false"}, {"pager.log", "false"},
		{"http.sslverify", "true"}, {"http.https://example.com/.sslverify", "true"}, {"http.followredirects", "false"},
	}
	require.Equal(t, want, o.config)
	require.Equal(t, []string{"http.proxy", "remote.origin.proxy", "http.https://x/.sslcainfo"}, o.refuse)
}

func TestParseConfigKeys(t *testing.T) {
	keys, err := parseConfigKeys([]byte("core.bare\x00filter.a=b.clean\x00\x00"))
	require.NoError(t, err)
	require.Equal(t, []string{"core.bare", "filter.a=b.clean"}, keys)
	_, err = parseConfigKeys([]byte("unterminated"))
	require.Error(t, err)
	_, err = parseConfigKeys([]byte("filter.a\nb.clean\x00"))
	require.Error(t, err)
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string][2]int{
		"git version 2.39.5\n":                 {2, 39},
		"git version 2.45.1.windows.1":         {2, 45},
		"git version 2.39.3 (Apple Git-146)\n": {2, 39},
		"git version 10.0.0-rc1":               {10, 0},
	} {
		major, minor, ok := parseVersion(in)
		require.True(t, ok, in)
		require.Equal(t, want, [2]int{major, minor}, in)
	}
	_, _, ok := parseVersion("hello")
	require.False(t, ok)
}

func TestParseLocation(t *testing.T) {
	l, err := parseLocation("false\ntrue\n/r/.git\n.git\n../\n")
	require.NoError(t, err)
	require.Equal(t, location{inside: true, gitDir: "/r/.git", commonDir: ".git", cdup: "../"}, l)
	l, err = parseLocation("true\nfalse\n/b.git\n.\n")
	require.NoError(t, err)
	require.True(t, l.bare)
	for _, bad := range []string{"", "maybe\ntrue\n/g\n.\n\n", "false\ntrue\n/r/.git\n.git\n", "false\ntrue\nrel\n.git\n\n", "false\nfalse\n/g\n.\nextra\n"} {
		_, err := parseLocation(bad)
		require.Error(t, err, "%q", bad)
	}
}

func TestCleanRedactsAndHidesServerDir(t *testing.T) {
	f := newFixture(t, Options{})
	got := f.s.clean([]byte("  fatal: unable to access 'https://bob:hunter2@example.com/r/': 403 in " + f.s.home + "/x\n"))
	require.Equal(t, "fatal: unable to access 'https://bob:[redacted]@example.com/r/': 403 in [git-server-dir]/h/x", got)
}
