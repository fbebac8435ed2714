package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ironcurtain-go/ironcurtain/agent"
)

// chatSessionVersion is the format of conversation.json.
const chatSessionVersion = 1

// chatSession is what a chat keeps in its state directory's
// conversation.json, so that --resume can continue it.
type chatSession struct {
	Version int       `json:"version"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Sandbox is the agent's directory; a resumed session uses it again.
	Sandbox string `json:"sandbox"`
	// Model, BaseURL and KeyEnv are the flags the model was reached with
	// (never a key), the defaults of a resumed session.
	Model   string `json:"model"`
	BaseURL string `json:"baseUrl,omitempty"`
	KeyEnv  string `json:"apiKeyEnv,omitempty"`
	// Messages is the conversation as the model saw it.
	Messages []chatMessage `json:"messages"`
	// Typed are the person's own messages, in order: the only text the
	// auto-approver reads as the instruction.
	Typed []string `json:"typed"`
}

type chatMessage struct {
	Role agent.Role `json:"role"`
	Text string     `json:"text"`
}

func (s *chatSession) history() []agent.Message {
	out := make([]agent.Message, len(s.Messages))
	for i, m := range s.Messages {
		out[i] = agent.Message{Role: m.Role, Text: m.Text}
	}
	return out
}

func (s *chatSession) setHistory(msgs []agent.Message) {
	s.Messages = make([]chatMessage, len(msgs))
	for i, m := range msgs {
		s.Messages[i] = chatMessage{Role: m.Role, Text: m.Text}
	}
}

// userStateDir is the user's state directory: $XDG_STATE_HOME when it is
// absolute, else ~/.local/state.
func userStateDir() (string, error) {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		base = filepath.Join(home, ".local", "state")
	}
	return base, nil
}

// chatSessionsDir is where sessions are kept, one directory each.
func chatSessionsDir() (string, error) {
	base, err := userStateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "ironcurtain", "sessions"), nil
}

// newChatID returns a random session ID.
func newChatID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validChatID reports whether id could be one newChatID made: lower-case
// hex only, so that it can name nothing but a directory of its own (no
// separator, no "..").
func validChatID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// chatPaths are the files of one session.
type chatPaths struct{ dir, conversation, audit, grants string }

func chatPathsFor(root, id string) chatPaths {
	dir := filepath.Join(root, id)
	return chatPaths{dir: dir, conversation: filepath.Join(dir, "conversation.json"),
		audit: filepath.Join(dir, "audit.jsonl"), grants: filepath.Join(dir, "grants.json")}
}

// loadChatSession reads a session's conversation.
func loadChatSession(path string) (*chatSession, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s chatSession
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Version != chatSessionVersion {
		return nil, fmt.Errorf("%s: version %d, want %d", path, s.Version, chatSessionVersion)
	}
	return &s, nil
}

// save writes the session atomically: a temporary file in the same
// directory, synced, renamed over the old one, and the directory synced.
func (s *chatSession) save(path string) (err error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".conversation-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// maxInstructionBytes bounds the instruction the auto-approver is given
// (it clips at 4000 bytes itself; the latest message must not be the part
// cut).
const maxInstructionBytes = 3500

// chatInstruction is the auto-approver's instruction: the person's latest
// message, and as many of their earlier ones as fit before it. Nothing a
// model or a tool wrote is in it.
func chatInstruction(typed []string) string {
	if len(typed) == 0 {
		return ""
	}
	latest := typed[len(typed)-1]
	if len(latest) >= maxInstructionBytes {
		return latest
	}
	var earlier []string
	size := len(latest)
	for i := len(typed) - 2; i >= 0; i-- {
		if size+len(typed[i])+3 > maxInstructionBytes {
			break
		}
		size += len(typed[i]) + 3
		earlier = append([]string{typed[i]}, earlier...)
	}
	if len(earlier) == 0 {
		return latest
	}
	out := "Earlier messages of the user, oldest first:\n"
	for _, m := range earlier {
		out += "- " + m + "\n"
	}
	return out + "\nThe user's latest message:\n" + latest
}
