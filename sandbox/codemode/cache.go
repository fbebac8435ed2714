package codemode

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"
)

// The compiled-code cache. Compiling qjs.wasm to machine code takes most of
// a second; wazero can keep the result on disk and load it back in a few
// milliseconds. What it loads is code the host runs, so the cache is
// treated like a binary on the PATH:
//
//   - the directory must belong to this user and be closed to everyone
//     else (mode 0700), and is one of the policy's protected paths, so no
//     tool call and no jailed process can write it;
//   - every entry is stored with the SHA-256 digest of its bytes, and an
//     entry is used only if it is a regular file of this user's, writable
//     by nobody else, whose bytes match the digest. The bytes checked are
//     the bytes handed to wazero: an entry is read into memory once,
//     checked, and deserialised from that copy, so it cannot change in
//     between;
//   - anything else (another owner, open permissions, a symlink, a FIFO, a
//     missing or wrong digest) discards the entry, and the engine is
//     compiled again.
//
// wazero's own check is a CRC of the code, which anyone who can write the
// file can recompute. The digest is not a signature either: someone who
// can write files as this user can replace both, and the cache does not
// defend against that user, only against everyone else and against the
// agent.
//
// wazero's own directory cache cannot be checked this way (it opens the
// files itself, and reads them eight bytes per system call, which is
// slower than compiling on a loaded machine), so the cache is ours; see
// installModule for how it reaches qjs.

// maxCacheEntry bounds what one entry may hold; qjs.wasm's is about 6 MiB.
const maxCacheEntry = 256 << 20

// ErrCacheTooLate is returned by [UseCache] when the engine has already
// been compiled in this process.
var ErrCacheTooLate = errors.New("codemode: the JavaScript engine is already compiled; UseCache must come first")

var (
	cacheMu     sync.Mutex
	cacheDir    string // set by UseCache before warm
	cacheWarmed bool   // warm has started; UseCache is too late
	cacheReport CacheReport
	cacheEntry  string // the path of the entry of the module in use, if any
)

// CacheReport says what the compiled-code cache did in this process.
type CacheReport struct {
	// Dir is the cache directory, or "" when none was used.
	Dir string
	// Hit is true when the engine was loaded from the cache rather than
	// compiled.
	Hit bool
	// Discarded says why an entry or the whole cache was not used ("" if
	// nothing was discarded).
	Discarded string
}

// CacheDir returns the default directory for the compiled-code cache:
// "ironcurtain/codemode" in the user's cache directory (os.UserCacheDir,
// usually ~/.cache). It is never inside a sandbox or a workspace.
// ~/.cache/ironcurtain is one of the policy's default protected paths; a
// caller whose cache directory is elsewhere (XDG_CACHE_HOME) must protect
// the directory returned here itself, from the policy and from the jail.
func CacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("codemode: no cache directory: %w", err)
	}
	if !filepath.IsAbs(base) {
		return "", fmt.Errorf("codemode: cache directory %q is not absolute", base)
	}
	return filepath.Join(base, "ironcurtain", "codemode"), nil
}

// UseCache makes this process keep the JavaScript engine's compiled code in
// dir, so that later processes load it in milliseconds instead of
// compiling it again. It must be called before the first [Precompile] or
// [Sandbox.Run] (the engine is compiled once per process) and returns
// [ErrCacheTooLate] afterwards. dir is created with mode 0700 if it does not
// exist. UseCache fails, and no cache is used, unless dir is an absolute
// path to a directory of this user's that nobody else can enter; the
// entries are checked when they are loaded (see [Cache]). The default is
// no cache: nothing is written to disk unless UseCache is called.
func UseCache(dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("codemode: cache directory %q is not absolute", dir)
	}
	dir = filepath.Clean(dir)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if cacheWarmed {
		return ErrCacheTooLate
	}
	if err := ensureCacheDir(dir); err != nil {
		return err
	}
	cacheDir = dir
	return nil
}

// Cache reports what the compiled-code cache did in this process; it is
// complete once [Precompile] has returned.
func Cache() CacheReport {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	return cacheReport
}

// takeCacheDir is called once, by warm: it closes UseCache and returns the
// directory of this platform's entries, checked again, or "" for none.
func takeCacheDir() string {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	cacheWarmed = true
	if cacheDir == "" {
		return ""
	}
	sub := filepath.Join(cacheDir, "wazero-"+runtime.GOOS+"-"+runtime.GOARCH)
	for _, d := range []string{cacheDir, sub} {
		if err := ensureCacheDir(d); err != nil {
			cacheReport.Discarded = err.Error()
			return ""
		}
	}
	cacheReport.Dir = cacheDir
	return sub
}

// noteCache records the entry loaded (a path) or a discarded entry.
func noteCache(hit string, discarded string) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if hit != "" {
		cacheReport.Hit, cacheEntry = true, hit
	}
	if discarded != "" && cacheReport.Discarded == "" {
		cacheReport.Discarded = discarded
	}
}

// ensureCacheDir creates dir (and missing parents, 0700) and checks that it
// is a real directory owned by this user with no access for anyone else.
func ensureCacheDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("codemode: cache directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("codemode: cache directory: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("codemode: cache directory %s is not a directory", dir)
	case !ownedByMe(fi):
		return fmt.Errorf("codemode: cache directory %s belongs to another user", dir)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("codemode: cache directory %s is open to other users (mode %v)", dir, fi.Mode().Perm())
	}
	return nil
}

// fileCache is the checked cache handed to wazero. Its method set is
// wazero's internal filecache.Cache (a key is a [32]byte). It is created
// reading and checking the most recently used entry in the background,
// while wazero decodes and validates the module before asking for it.
type fileCache struct {
	dir    string
	newest func() (name string, b []byte) // the prefetched entry, if any
}

// maxCacheEntries is how many entries (one per qjs.wasm, wazero version and
// CPU) are kept; older ones are removed.
const maxCacheEntries = 4

func newFileCache(dir string) *fileCache {
	c := &fileCache{dir: dir}
	c.newest = sync.OnceValues(func() (string, []byte) {
		names := c.entries()
		if len(names) == 0 {
			return "", nil
		}
		b, err := c.load(names[0])
		if err != nil {
			return "", nil // Get loads it again and reports why it fails
		}
		return names[0], b
	})
	go c.newest()
	return c
}

// Get returns the entry for key if it passes every check, from a copy in
// memory; an entry that fails is removed, and wazero compiles instead.
func (c *fileCache) Get(key [sha256.Size]byte) (io.ReadCloser, bool, error) {
	name := hex.EncodeToString(key[:])
	b := []byte(nil)
	if n, nb := c.newest(); n == name {
		b = nb
	}
	if b == nil {
		var err error
		b, err = c.load(name)
		if errors.Is(err, os.ErrNotExist) {
			return nil, false, nil
		}
		if err != nil {
			noteCache("", fmt.Sprintf("cache entry %s: %v", name, err))
			_ = c.Delete(key)
			return nil, false, nil
		}
	}
	noteCache(filepath.Join(c.dir, name), "")
	now := time.Now()
	_ = os.Chtimes(filepath.Join(c.dir, name), now, now) // most recently used
	return io.NopCloser(bytes.NewReader(b)), true, nil
}

// load reads the entry called name and checks it against its digest.
func (c *fileCache) load(name string) ([]byte, error) {
	b, err := readPrivateFile(filepath.Join(c.dir, name), maxCacheEntry)
	if err != nil {
		return nil, err
	}
	want, err := readPrivateFile(filepath.Join(c.dir, name+digestSuffix), 2*sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("its digest: %v", err) // not ErrNotExist: the entry is there
	}
	sum := sha256.Sum256(b)
	if string(want) != hex.EncodeToString(sum[:]) {
		return nil, errors.New("does not match its digest")
	}
	return b, nil
}

// Add stores an entry and its digest, each written whole and renamed into
// place, and removes the least recently used entries beyond
// maxCacheEntries.
func (c *fileCache) Add(key [sha256.Size]byte, content io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(content, maxCacheEntry+1))
	if err != nil {
		return err
	}
	if len(b) > maxCacheEntry {
		return errors.New("codemode: compiled code too large to cache")
	}
	name := hex.EncodeToString(key[:])
	sum := sha256.Sum256(b)
	if err := writePrivateFile(filepath.Join(c.dir, name), b); err != nil {
		return err
	}
	if err := writePrivateFile(filepath.Join(c.dir, name+digestSuffix), []byte(hex.EncodeToString(sum[:]))); err != nil {
		return err
	}
	cacheMu.Lock()
	cacheEntry = filepath.Join(c.dir, name)
	cacheMu.Unlock()
	for _, old := range c.entries()[min(maxCacheEntries, len(c.entries())):] {
		_ = c.remove(old)
	}
	return nil
}

// Delete removes an entry and its digest.
func (c *fileCache) Delete(key [sha256.Size]byte) error {
	return c.remove(hex.EncodeToString(key[:]))
}

func (c *fileCache) remove(name string) error {
	for _, p := range []string{name, name + digestSuffix, name + stackGuardSuffix} {
		if err := os.Remove(filepath.Join(c.dir, p)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// entries lists the names of the cache's entries, most recently used first.
func (c *fileCache) entries() []string {
	des, err := os.ReadDir(c.dir)
	if err != nil {
		return nil
	}
	type entry struct {
		name string
		used time.Time
	}
	var es []entry
	for _, de := range des {
		n := de.Name()
		if len(n) != 2*sha256.Size || !de.Type().IsRegular() {
			continue
		}
		if _, err := hex.DecodeString(n); err != nil {
			continue
		}
		if fi, err := de.Info(); err == nil {
			es = append(es, entry{n, fi.ModTime()})
		}
	}
	slices.SortFunc(es, func(a, b entry) int { return b.used.Compare(a.used) })
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.name
	}
	return names
}

// digestSuffix names the file holding an entry's SHA-256 digest, in hex.
const digestSuffix = ".sha256"

// stackGuardSuffix names the file recording the outcome of the stack
// guard's self-test for an entry: "on" or "off". The outcome is a function
// of the compiled module alone, so a process that loads the entry need not
// run the test again. The file is checked like the entry; a missing or
// unreadable one means the test runs.
const stackGuardSuffix = ".stackguard"

// cachedStackGuard returns the recorded self-test outcome for the entry of
// the module in use.
func cachedStackGuard() (ok, known bool) {
	cacheMu.Lock()
	hit := cacheEntry
	cacheMu.Unlock()
	if hit == "" {
		return false, false
	}
	b, err := readPrivateFile(hit+stackGuardSuffix, 8)
	switch {
	case err != nil:
		return false, false
	case string(b) == "on":
		return true, true
	case string(b) == "off":
		return false, true
	}
	return false, false
}

// recordStackGuard records the self-test outcome beside the entry of the
// module in use; without one, or on failure, nothing is recorded and the
// next process runs the test again.
func recordStackGuard(ok bool) {
	cacheMu.Lock()
	hit := cacheEntry
	cacheMu.Unlock()
	if hit == "" {
		return
	}
	v := "off"
	if ok {
		v = "on"
	}
	_ = writePrivateFile(hit+stackGuardSuffix, []byte(v))
}

// readPrivateFile reads a regular file of this user's that nobody else can
// write, of at most limit bytes, without following a symlink or blocking on
// a FIFO. A missing file satisfies errors.Is(err, os.ErrNotExist).
func readPrivateFile(p string, limit int64) ([]byte, error) {
	f, err := openNoFollow(p)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, err
	case !ownedByMe(fi):
		return nil, errors.New("belongs to another user")
	case fi.Mode().Perm()&0o022 != 0:
		return nil, errors.New("is writable by other users")
	case fi.Size() > limit:
		return nil, errors.New("is too large")
	}
	// Exactly the size fstat gave: a file that grows meanwhile fails.
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	if n, _ := f.Read(make([]byte, 1)); n != 0 {
		return nil, errors.New("changed while it was read")
	}
	return b, nil
}

// writePrivateFile writes b to a new 0600 file beside p and renames it to
// p.
func writePrivateFile(p string, b []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(p), filepath.Base(p)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(b); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}
