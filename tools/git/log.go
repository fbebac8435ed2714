package git

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// Commit is one commit in the structured content of git_log and
// git_changelog_analyze.
type Commit struct {
	Hash      string   `json:"hash"`
	ShortHash string   `json:"shortHash"`
	Author    string   `json:"author"`
	Email     string   `json:"email"`
	Date      string   `json:"date"` // strict ISO 8601
	Parents   []string `json:"parents"`
	Subject   string   `json:"subject"`
	Body      string   `json:"body,omitempty"`
	// Signature is git's signature check letter (%G?: "N" none, "G" good,
	// "E" cannot be checked, ...) when showSignature was asked for.
	Signature string `json:"signature,omitempty"`
	// Signer is the signer git reported, if any.
	Signer string `json:"signer,omitempty"`

	details string // --stat / --patch text that followed the commit
}

// LogResult is the structured content of git_log.
type LogResult struct {
	Commits   []Commit `json:"commits"`
	Truncated bool     `json:"truncated,omitempty"`
}

// newMarker returns a record marker the repository cannot predict, so a
// commit message cannot forge a record boundary in parsed output.
func newMarker() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "\x1e" + hex.EncodeToString(b[:])
}

// logFormat is the --format for parseLog; marker must come from newMarker.
func logFormat(marker string, sig bool) string {
	f := "tformat:%x1e" + marker[1:] + "%H%x00%h%x00%an%x00%ae%x00%aI%x00%P%x00%s%x00%b%x00"
	if sig {
		f += "%G?%x00%GS%x00"
	}
	return f
}

// parseLog parses git log output made with logFormat(marker, sig). Text
// after a commit's fields (--stat, --patch) is kept with the commit.
// Output cut at the output cap may end inside a record: a record with
// too few fields is dropped and reported as partial.
func parseLog(out, marker string, sig bool) (commits []Commit, partial bool) {
	n := 8
	if sig {
		n = 10
	}
	recs := strings.Split(out, marker)
	commits = []Commit{}
	for _, rec := range recs[1:] {
		f := strings.SplitN(rec, "\x00", n+1)
		if len(f) != n+1 {
			partial = true
			continue
		}
		c := Commit{
			Hash: f[0], ShortHash: f[1], Author: f[2], Email: f[3], Date: f[4],
			Parents: strings.Fields(f[5]), Subject: f[6], Body: strings.TrimSpace(f[7]),
		}
		if c.Parents == nil {
			c.Parents = []string{}
		}
		if sig {
			c.Signature, c.Signer = f[8], f[9]
		}
		c.details = strings.Trim(f[n], "\n")
		commits = append(commits, c)
	}
	return commits, partial
}

// renderLog describes commits for the model.
func renderLog(commits []Commit, oneline bool) string {
	var b strings.Builder
	for _, c := range commits {
		if oneline {
			fmt.Fprintf(&b, "%s %s\n", c.ShortHash, c.Subject)
		} else {
			fmt.Fprintf(&b, "commit %s\n", c.Hash)
			if len(c.Parents) > 1 {
				fmt.Fprintf(&b, "Merge: %s\n", strings.Join(c.Parents, " "))
			}
			fmt.Fprintf(&b, "Author: %s <%s>\nDate:   %s\n", c.Author, c.Email, c.Date)
			if c.Signature != "" {
				fmt.Fprintf(&b, "Signature: %s\n", signatureText(c.Signature, c.Signer))
			}
			fmt.Fprintf(&b, "\n    %s\n", c.Subject)
			if c.Body != "" {
				b.WriteString("\n")
				for line := range strings.SplitSeq(c.Body, "\n") {
					fmt.Fprintf(&b, "    %s\n", line)
				}
			}
		}
		if c.details != "" {
			b.WriteString(c.details)
			b.WriteString("\n")
		}
		if !oneline {
			b.WriteString("\n")
		}
	}
	if len(commits) == 0 {
		return "No commits found."
	}
	return strings.TrimRight(b.String(), "\n")
}

// signatureText explains git's %G? letter. The server's git has no
// keyring, so signatures can be seen but not trusted.
func signatureText(letter, signer string) string {
	text := map[string]string{
		"N": "none",
		"G": "good",
		"B": "bad",
		"U": "good, validity unknown",
		"X": "good, expired",
		"Y": "good, made by an expired key",
		"R": "good, made by a revoked key",
		"E": "present but cannot be checked (no verification program or key)",
	}[letter]
	if text == "" {
		text = letter
	}
	if signer != "" {
		text += " (" + signer + ")"
	}
	return text
}

type logArgs struct {
	repoPath
	MaxCount      *int   `json:"maxCount,omitempty" desc:"Number of commits to show (at most 10000)." schema:"default=10,minimum=1"`
	Skip          int    `json:"skip,omitempty" desc:"Skip this many commits first." schema:"minimum=0"`
	Since         string `json:"since,omitempty" desc:"Only commits after this date (\"2024-01-31\", \"2 weeks ago\")."`
	Until         string `json:"until,omitempty" desc:"Only commits before this date."`
	Author        string `json:"author,omitempty" desc:"Only commits whose author matches this pattern."`
	Grep          string `json:"grep,omitempty" desc:"Only commits whose message matches this pattern."`
	Branch        string `json:"branch,omitempty" desc:"Branch, tag or revision range to list (default HEAD)."`
	FilePath      string `json:"filePath,omitempty" desc:"Only commits touching this path."`
	Oneline       bool   `json:"oneline,omitempty" desc:"One line per commit." schema:"default=false"`
	Stat          bool   `json:"stat,omitempty" desc:"Show changed files per commit." schema:"default=false"`
	Patch         bool   `json:"patch,omitempty" desc:"Show the patch of each commit." schema:"default=false"`
	ShowSignature bool   `json:"showSignature,omitempty" desc:"Report each commit's signature status." schema:"default=false"`
}

// maxLogCount bounds maxCount.
const maxLogCount = 10000

func (s *Server) log(ctx context.Context, a logArgs) (ironcurtain.Result, error) {
	count := 10
	if a.MaxCount != nil {
		count = *a.MaxCount
	}
	if count < 1 || count > maxLogCount {
		return ironcurtain.Result{}, toolset.Failf("maxCount must be between 1 and %d", maxLogCount)
	}
	if a.Skip < 0 {
		return ironcurtain.Result{}, toolset.Failf("skip must not be negative")
	}
	marker := newMarker()
	cmd := []string{"log", "--no-color", "--no-ext-diff", "--no-textconv", "--format=" + logFormat(marker, a.ShowSignature), "-n", strconv.Itoa(count)}
	if a.Skip > 0 {
		cmd = append(cmd, "--skip="+strconv.Itoa(a.Skip))
	}
	for _, f := range []struct{ name, flag, v string }{
		{"since", "--since=", a.Since}, {"until", "--until=", a.Until},
		{"author", "--author=", a.Author}, {"grep", "--grep=", a.Grep},
	} {
		if f.v == "" {
			continue
		}
		if hasControl(f.v) || len(f.v) > maxArgLen {
			return ironcurtain.Result{}, toolset.Failf("%s contains a control character or is too long", f.name)
		}
		cmd = append(cmd, f.flag+f.v)
	}
	cmd = append(cmd, boolFlag(a.Stat, "--stat")...)
	cmd = append(cmd, boolFlag(a.Patch, "--patch")...)
	cmd = append(cmd, "--end-of-options")
	if a.Branch != "" {
		if err := checkRevision("branch", a.Branch); err != nil {
			return ironcurtain.Result{}, err
		}
		cmd = append(cmd, a.Branch)
	}
	cmd = append(cmd, "--")
	if a.FilePath != "" {
		if err := checkPathspec("filePath", a.FilePath); err != nil {
			return ironcurtain.Result{}, err
		}
		cmd = append(cmd, a.FilePath)
	}

	r, err := s.openRepo(ctx, a.Path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	out, err := s.gitTruncating(ctx, r, cmd...)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if !out.ok() && !out.truncated {
		if strings.Contains(string(out.stderr), "does not have any commits yet") {
			return structuredResult("No commits yet.", LogResult{Commits: []Commit{}})
		}
		return ironcurtain.Result{}, s.gitFailed(cmd, out)
	}
	commits, partial := parseLog(string(out.stdout), marker, a.ShowSignature)
	res := LogResult{Commits: commits, Truncated: out.truncated || partial}
	return structuredResult(renderLog(commits, a.Oneline)+truncNote(out, s.cfg.maxOutput), res)
}
