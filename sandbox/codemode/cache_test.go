package codemode

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/stretchr/testify/require"
)

// The engine is compiled once per process, so every cache test runs its
// compilation in a child: this test binary again, running only
// TestCacheChild with cacheChildEnv naming the cache directory.
const cacheChildEnv = "IRONCURTAIN_CODEMODE_CACHE_CHILD"

// childReport is what a child prints.
type childReport struct {
	UseCache string      `json:"useCache"` // UseCache's error
	Report   CacheReport `json:"report"`
	Result   string      `json:"result"`
	Error    string      `json:"error"`
}

// TestCacheChild is the child's side; it does nothing in a normal run.
func TestCacheChild(t *testing.T) {
	dir := os.Getenv(cacheChildEnv)
	if dir == "" {
		t.Skip("run by the cache tests in a child process")
	}
	var rep childReport
	if err := UseCache(dir); err != nil {
		rep.UseCache = err.Error()
	}
	s, err := New(Options{Backend: &fakeBackend{tools: testTools()}})
	require.NoError(t, err)
	r, err := s.Run(context.Background(), ironcurtain.Job{Source: "return 40 + 2;"})
	if err != nil {
		rep.Error = err.Error()
	}
	rep.Result = string(r.Value)
	rep.Report = Cache()
	require.ErrorIs(t, UseCache(dir), ErrCacheTooLate)
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	t.Logf("CHILD %s", b)
}

// runCacheChild runs a child on dir and returns its report. A child that
// dies (say, running planted machine code) fails the test.
func runCacheChild(t *testing.T, dir string) childReport {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCacheChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), cacheChildEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the child failed:\n%s", out)
	_, line, ok := strings.Cut(string(out), "CHILD ")
	require.True(t, ok, "no report in:\n%s", out)
	line, _, _ = strings.Cut(line, "\n")
	var rep childReport
	require.NoError(t, json.Unmarshal([]byte(line), &rep), line)
	return rep
}

// onlyEntry returns the path of the one entry in the cache.
func onlyEntry(t *testing.T, dir string) string {
	t.Helper()
	sub := filepath.Join(dir, "wazero-"+runtime.GOOS+"-"+runtime.GOARCH)
	des, err := os.ReadDir(sub)
	require.NoError(t, err)
	var entries []string
	for _, de := range des {
		if len(de.Name()) == 2*sha256.Size {
			entries = append(entries, filepath.Join(sub, de.Name()))
		}
	}
	require.Len(t, entries, 1)
	return entries[0]
}

// trapEntry returns a copy of a wazero cache entry whose machine code is
// all int3 (x86) or brk (arm64), with wazero's CRC recomputed, so that
// wazero itself would accept it and any call into the code would kill the
// process.
func trapEntry(t *testing.T, entry []byte) []byte {
	t.Helper()
	b := bytes.Clone(entry)
	const magic = "WAZEVO"
	require.Equal(t, magic, string(b[:len(magic)]))
	off := len(magic)
	off += 1 + int(b[off]) // version
	nfuncs := int(binary.LittleEndian.Uint32(b[off:]))
	off += 4 + 8*nfuncs
	n := int(binary.LittleEndian.Uint64(b[off:]))
	off += 8
	code := b[off : off+n]
	trap := []byte{0xcc}
	if runtime.GOARCH == "arm64" {
		trap = []byte{0x00, 0x00, 0x20, 0xd4}
	}
	for i := 0; i+len(trap) <= len(code); i += len(trap) {
		copy(code[i:], trap)
	}
	binary.LittleEndian.PutUint32(b[off+n:], crc32.Checksum(code, crc32.MakeTable(crc32.Castagnoli)))
	return b
}

func writeDigest(t *testing.T, entry string, content []byte) {
	t.Helper()
	sum := sha256.Sum256(content)
	require.NoError(t, os.WriteFile(entry+digestSuffix, []byte(hex.EncodeToString(sum[:])), 0o600))
}

// TestCacheHitAndPlant: the first process compiles and fills the cache,
// the second loads from it, and a planted entry — machine code that
// traps, which wazero's own check accepts — is discarded and rebuilt,
// never run, in every form an attacker might leave it.
func TestCacheHitAndPlant(t *testing.T) {
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("the planted code is written for linux/amd64 and linux/arm64")
	}
	dir := filepath.Join(t.TempDir(), "cache")

	first := runCacheChild(t, dir)
	require.Empty(t, first.UseCache)
	require.Equal(t, "42", first.Result)
	require.False(t, first.Report.Hit)
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	second := runCacheChild(t, dir)
	require.Equal(t, "42", second.Result)
	require.True(t, second.Report.Hit, "the second process loads the cache: %+v", second.Report)
	require.Empty(t, second.Report.Discarded)

	entry := onlyEntry(t, dir)
	good, err := os.ReadFile(entry)
	require.NoError(t, err)
	planted := trapEntry(t, good)

	// Control: an attacker who can also rewrite the digest (this user)
	// gets the planted code run, so the plant is real and the digest is
	// what stops it below. The child must die.
	t.Run("control", func(t *testing.T) {
		require.NoError(t, os.WriteFile(entry, planted, 0o600))
		writeDigest(t, entry, planted)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCacheChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), cacheChildEnv+"="+dir)
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "the planted code did not run, so this test proves nothing:\n%s", out)
		require.NoError(t, os.WriteFile(entry, good, 0o600))
		writeDigest(t, entry, good)
	})

	plants := []struct {
		name  string
		plant func(t *testing.T)
	}{
		{"modified entry", func(t *testing.T) {
			require.NoError(t, os.WriteFile(entry, planted, 0o600))
		}},
		{"digest removed", func(t *testing.T) {
			require.NoError(t, os.WriteFile(entry, planted, 0o600))
			require.NoError(t, os.Remove(entry+digestSuffix))
		}},
		{"writable by others", func(t *testing.T) {
			require.NoError(t, os.WriteFile(entry, planted, 0o600))
			writeDigest(t, entry, planted)
			require.NoError(t, os.Chmod(entry, 0o666))
		}},
		{"symlink to a planted file", func(t *testing.T) {
			elsewhere := filepath.Join(t.TempDir(), "planted")
			require.NoError(t, os.WriteFile(elsewhere, planted, 0o600))
			require.NoError(t, os.Remove(entry))
			require.NoError(t, os.Symlink(elsewhere, entry))
			writeDigest(t, entry, planted)
		}},
		{"owned by another user", func(t *testing.T) {
			if os.Geteuid() != 0 {
				t.Skip("only root can give a file away")
			}
			require.NoError(t, os.WriteFile(entry, planted, 0o600))
			writeDigest(t, entry, planted)
			require.NoError(t, os.Chown(entry, 65534, 65534))
		}},
	}
	for _, p := range plants {
		t.Run(p.name, func(t *testing.T) {
			p.plant(t)
			rep := runCacheChild(t, dir)
			require.Equal(t, "42", rep.Result, "the engine works")
			require.False(t, rep.Report.Hit, "the planted entry is not loaded")
			require.NotEmpty(t, rep.Report.Discarded)
			rebuilt, err := os.ReadFile(onlyEntry(t, dir))
			require.NoError(t, err)
			require.Equal(t, good, rebuilt, "the entry is rebuilt from a fresh compilation")
			fi, err := os.Lstat(onlyEntry(t, dir))
			require.NoError(t, err)
			require.True(t, fi.Mode().IsRegular())
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		})
	}
}

// TestCacheDirRefused: a directory others can enter, or one that is a
// symlink, is not used at all, and the engine still works.
func TestCacheDirRefused(t *testing.T) {
	open := filepath.Join(t.TempDir(), "open")
	require.NoError(t, os.Mkdir(open, 0o755))
	require.NoError(t, os.Chmod(open, 0o755))
	rep := runCacheChild(t, open)
	require.Contains(t, rep.UseCache, "open to other users")
	require.Equal(t, "42", rep.Result)
	require.Empty(t, rep.Report.Dir)

	real := filepath.Join(t.TempDir(), "real")
	require.NoError(t, os.Mkdir(real, 0o700))
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(real, link))
	rep = runCacheChild(t, link)
	require.Contains(t, rep.UseCache, "not a directory")
	require.Equal(t, "42", rep.Result)

	require.Error(t, UseCache("relative/dir"))
}
