package git

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/pem"
	"io/fs"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/testvault"
	"github.com/stretchr/testify/require"
)

const (
	testSecret   = "s3cret-Token-Value-0123456789"
	testUsername = "x-access-token"
)

// gitHTTPServer serves the repositories under dir over https with git's
// own http-backend, behind basic authentication with testSecret.
type gitHTTPServer struct {
	srv      *httptest.Server
	caFile   string
	host     string // host:port, as git names it
	authHits atomic.Int64
}

// newServedRepo serves, over HTTPS, a directory holding repo.git: a bare
// clone of a repository with one commit on main. It returns the server
// and the directory.
func newServedRepo(t *testing.T) (*gitHTTPServer, string) {
	t.Helper()
	served := t.TempDir()
	origin := newRepo(t, filepath.Join(served, "src"))
	rawGit(t, served, "clone", "-q", "--bare", origin, filepath.Join(served, "repo.git"))
	return newGitHTTPServer(t, served), served
}

func newGitHTTPServer(t *testing.T, dir string) *gitHTTPServer {
	t.Helper()
	gitPath, err := exec.LookPath("git")
	require.NoError(t, err)
	backend := &cgi.Handler{
		Path: gitPath,
		Args: []string{"http-backend"},
		Env: []string{
			"GIT_PROJECT_ROOT=" + dir, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=agent",
			"HOME=" + t.TempDir(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		},
	}
	g := &gitHTTPServer{}
	g.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != testUsername || pass != testSecret {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		g.authHits.Add(1)
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(g.srv.Close)
	g.caFile = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: g.srv.Certificate().Raw})
	require.NoError(t, os.WriteFile(g.caFile, pemBytes, 0o644))
	u, err := url.Parse(g.srv.URL)
	require.NoError(t, err)
	g.host = u.Host
	return g
}

func (g *gitHTTPServer) url(repo string) string { return g.srv.URL + "/" + repo }

// dumpingGit writes a git wrapper that records every invocation's
// arguments and environment before running the real git. It uses only
// shell builtins and runs the git of git's exec path, so that it also
// runs in the jail (which lets the wrapper's shell execute, as the
// interpreter of the program it was given, and git's exec path).
func dumpingGit(t *testing.T) (wrapper, dump string) {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	require.NoError(t, err)
	real := filepath.Join(strings.TrimSpace(string(out)), "git")
	dir := t.TempDir()
	dump = filepath.Join(dir, "dump")
	wrapper = filepath.Join(dir, "git")
	script := "#!/bin/sh\n{ echo ARGS; printf '%s\\n' \"$@\"; echo ENV; export -p; } >> " + shellQuote(dump) + "\nexec " + shellQuote(real) + " \"$@\"\n"
	require.NoError(t, os.WriteFile(wrapper, []byte(script), 0o755))
	return wrapper, dump
}

func TestCredentialsFromVault(t *testing.T) {
	requireGit(t)
	g, served := newServedRepo(t)
	wrapper, dump := dumpingGit(t)

	f := newFixture(t, Options{
		Git:         wrapper,
		Vault:       testvault.Map{"forge-token": testSecret},
		Credentials: map[string]Credential{g.host: {Name: "forge-token"}},
		Env:         map[string]string{"GIT_SSL_CAINFO": g.caFile},
	})
	var texts []string
	record := func(res ironcurtain.Result) ironcurtain.Result {
		texts = append(texts, res.Text(), string(res.Structured))
		return res
	}

	clone := filepath.Join(f.root, "clone")
	res := record(f.call("git_clone", map[string]any{"url": g.url("repo.git"), "path": clone}))
	require.False(t, res.IsError, res.Text())
	require.Positive(t, g.authHits.Load(), "the server saw the vault's credential")
	require.Equal(t, "initial commit", rawGit(t, clone, "log", "-1", "--format=%s"))

	commitFile(t, clone, "pushed.txt", "p\n", "pushed over https")
	res = record(f.call("git_push", map[string]any{"path": clone}))
	require.False(t, res.IsError, res.Text())
	require.Equal(t, "pushed over https", rawGit(t, filepath.Join(served, "repo.git"), "log", "-1", "--format=%s"))

	rawGit(t, f.repo, "remote", "add", "origin", g.url("repo.git"))
	record(f.ok2("git_fetch", nil))
	record(f.ok2("git_pull", map[string]any{"remote": "origin", "branch": "main", "rebase": true}))
	record(f.call("git_remote", nil))
	record(f.call("git_log", map[string]any{"patch": true}))
	// A failing transfer's error text must not carry it either.
	record(f.call("git_fetch", map[string]any{"remote": g.url("missing.git")}))

	basic := base64.StdEncoding.EncodeToString([]byte(testUsername + ":" + testSecret))
	for _, text := range texts {
		require.NotContains(t, text, testSecret)
		require.NotContains(t, text, basic)
	}
	// Nothing the server or git wrote holds the secret: not the clone, not
	// the repositories, not the server's private directory.
	for _, dir := range []string{f.root, f.s.base} {
		require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Type()&fs.ModeSocket != 0 {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			require.False(t, bytes.Contains(b, []byte(testSecret)), "%s holds the secret", p)
			require.False(t, bytes.Contains(b, []byte(basic)), "%s holds the secret", p)
			return nil
		}))
	}
	// The header is in the environment of network invocations only,
	// scoped to the credential's host over https, and never in an
	// argument.
	d, err := os.ReadFile(dump)
	require.NoError(t, err)
	require.NotContains(t, string(d), testSecret)
	network := 0
	for _, inv := range strings.Split(string(d), "ARGS\n")[1:] {
		// Invocations run in parallel may interleave their records; those
		// are skipped (the whole dump was checked above).
		args, env, ok := strings.Cut(inv, "ENV\n")
		if !ok || strings.Contains(env, "ARGS") {
			continue
		}
		require.NotContains(t, args, testSecret)
		require.NotContains(t, args, basic)
		require.NotContains(t, env, testSecret)
		isNetwork := strings.Contains(args, "\nclone\n") || strings.Contains(args, "\nfetch\n") ||
			strings.Contains(args, "\npush\n") || strings.Contains(args, "\npull\n")
		if !isNetwork {
			require.NotContains(t, env, basic, "a local invocation carries no credential: %s", args)
			continue
		}
		network++
		require.Contains(t, env, "http.https://"+g.host+"/.extraHeader")
		require.Contains(t, env, "Authorization: Basic "+basic)
	}
	require.Positive(t, network, "the dump recorded the network invocations")
}

// ok2 is ok returning the whole result.
func (f *fixture) ok2(tool string, args map[string]any) ironcurtain.Result {
	f.t.Helper()
	res := f.call(tool, args)
	require.False(f.t, res.IsError, "%s %v failed: %s", tool, args, res.Text())
	return res
}

func TestCredentialsOnlyForListedHostsAndHTTPS(t *testing.T) {
	requireGit(t)
	g, _ := newServedRepo(t)

	// No mapping for this host: git gets no credential and fails at once
	// (no prompt, no hang).
	f := newFixture(t, Options{
		Vault:       testvault.Map{"forge-token": testSecret},
		Credentials: map[string]Credential{"other.example.com": {Name: "forge-token"}},
		Env:         map[string]string{"GIT_SSL_CAINFO": g.caFile},
		Jail:        testJail(t),
	})
	text := f.fail("git_clone", map[string]any{"url": g.url("repo.git"), "path": "c"})
	require.Contains(t, text, "terminal prompts disabled")
	require.Zero(t, g.authHits.Load())

	// A wrong credential is refused by the server, and not retried forever.
	f2 := newFixture(t, Options{
		Vault:       testvault.Map{"forge-token": "wrong"},
		Credentials: map[string]Credential{g.host: {Name: "forge-token"}},
		Env:         map[string]string{"GIT_SSL_CAINFO": g.caFile},
	})
	f2.fail("git_clone", map[string]any{"url": g.url("repo.git"), "path": "c"})
	require.Zero(t, g.authHits.Load())

	// The header is configured for the listed hosts only, over https only;
	// a credential that would break the header is left out.
	s, err := New(Options{
		Vault: testvault.Map{"a": "token-a", "b": "bad\ntoken"},
		Credentials: map[string]Credential{
			"forge.example:8443": {Name: "a", Username: "u"},
			"other.example":      {Name: "b"},
			"missing.example":    {Name: "missing"},
		},
	})
	require.NoError(t, err)
	defer s.Close()
	c := s.credentialConfig(context.Background())
	basic := base64.StdEncoding.EncodeToString([]byte("u:token-a"))
	require.Equal(t, []configEntry{
		{"http.https://forge.example:8443/.extraHeader", ""},
		{"http.https://forge.example:8443/.extraHeader", "Authorization: Basic " + basic},
	}, c.config)
	require.Equal(t, []byte("x [redacted] y [redacted]"), c.scrub([]byte("x token-a y "+basic)))
}

func TestRepositoryCredentialHelpersDoNotRun(t *testing.T) {
	requireGit(t)
	m := newMarks(t)
	g, _ := newServedRepo(t)
	f := newFixture(t, Options{Env: map[string]string{"GIT_SSL_CAINFO": g.caFile}, Jail: testJail(t)})
	rawGit(t, f.repo, "remote", "add", "origin", g.url("repo.git"))
	rawGit(t, f.repo, "config", "credential.helper", "!"+m.cmd("helper"))
	rawGit(t, f.repo, "config", "credential."+g.srv.URL+".helper", "!"+m.cmd("urlhelper"))
	rawGit(t, f.repo, "config", "core.askPass", m.script("askpass"))

	cmd := exec.Command("git", "fetch", "origin")
	cmd.Dir = f.repo
	cmd.Env = append(testEnv(t.TempDir()), "GIT_SSL_CAINFO="+g.caFile)
	_ = cmd.Run()
	require.NotEmpty(t, m.list(), "positive control: plain git runs the repository's credential helpers")
	require.NoError(t, os.RemoveAll(m.dir))
	require.NoError(t, os.Mkdir(m.dir, 0o755))

	require.Contains(t, f.fail("git_fetch", nil), "terminal prompts disabled")
	m.none("a repository credential helper or askpass")
}
