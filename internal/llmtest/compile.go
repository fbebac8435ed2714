package llmtest

import "regexp"

// The policy compiler names its stage and server in the first user
// message of each request ("[stage: rules]", "[server: git]"); these
// read them, so that one script can answer each stage of each server.

var (
	stageRE  = regexp.MustCompile(`\[stage: ([a-z]+)\]`)
	serverRE = regexp.MustCompile(`\[server: ([^\]]+)\]`)
)

// Stage is the compiler stage named in the first user message ("rules",
// "scenarios", ...), or "".
func (r Request) Stage() string { return r.find(stageRE) }

// Server is the server named in the first user message, or "".
func (r Request) Server() string { return r.find(serverRE) }

func (r Request) find(re *regexp.Regexp) string {
	if len(r.Messages) == 0 {
		return ""
	}
	if m := re.FindStringSubmatch(r.Messages[0].Text); m != nil {
		return m[1]
	}
	return ""
}

// Retry reports whether the request sends back an earlier answer with
// what was wrong with it (it has more than one user turn).
func (r Request) Retry() bool { return len(r.Messages) > 1 }

// APIKey is the Anthropic API key the request carried (x-api-key).
func (r Request) APIKey() string { return r.Header.Get("X-Api-Key") }

// Version is the anthropic-version header.
func (r Request) Version() string { return r.Header.Get("Anthropic-Version") }
