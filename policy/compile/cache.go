package compile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
)

// answerCache keeps the model's valid answers on disk, keyed by a hash of
// the model's name and the whole request (prompt text and inputs alike),
// so that any change to either misses. A zero cache (no directory) keeps
// nothing.
type answerCache struct{ dir string }

// cacheEntry is the stored form of an answer.
type cacheEntry struct {
	Model  string `json:"model"`
	Answer string `json:"answer"`
}

func (c answerCache) key(model string, req Request) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode(struct {
		Version string  `json:"version"`
		Model   string  `json:"model"`
		Request Request `json:"request"`
	}{CompilerName, model, req})
	return hex.EncodeToString(h.Sum(nil))
}

func (c answerCache) get(key string) (string, bool) {
	if c.dir == "" {
		return "", false
	}
	b, err := os.ReadFile(filepath.Join(c.dir, key+".json"))
	if err != nil {
		return "", false
	}
	var e cacheEntry
	if json.Unmarshal(b, &e) != nil {
		return "", false
	}
	return e.Answer, true
}

// put stores an answer; a cache that cannot be written is no cache, and
// compiling goes on.
func (c answerCache) put(key, model, answer string) {
	if c.dir == "" {
		return
	}
	b, err := json.Marshal(cacheEntry{Model: model, Answer: answer})
	if err != nil {
		return
	}
	if os.MkdirAll(c.dir, 0o700) != nil {
		return
	}
	_ = writeFileAtomic(filepath.Join(c.dir, key+".json"), b)
}
