package git

import (
	"bytes"
	"context"
	"encoding/base64"
	"maps"
	"slices"
	"strings"
)

// Credentials reach git as an HTTP header in the invocation's
// configuration overrides (GIT_CONFIG_COUNT), never through a file, an
// argument or a credential helper. For every network invocation, and
// for each host listed in Options.Credentials whose vault credential can
// be read, the server sets
//
//	http.https://<host>/.extraHeader=                      (clears the list)
//	http.https://<host>/.extraHeader=Authorization: Basic <user:secret>
//
// git matches the URL of every request against the key's URL, so the
// header goes only to that host, only over https (http.followRedirects
// is off). A helper would have to run through the shell, which git's
// jail does not let execute ("git credential-x get" always goes through
// sh), so there is none; the repository's helpers are cleared.
//
// The secret is in the environment of the git processes of that one
// invocation: readable by their own user's processes that may trace
// them, and inherited by the programs git starts, which in the jail are
// only git's own.

// credentials is what one network invocation presents and must scrub.
type credentials struct {
	config  []configEntry
	secrets [][]byte // values handed out, scrubbed from the output
}

// credentialConfig reads the vault credential of every listed host and
// returns the headers presenting them. A credential that cannot be read,
// or holds a line break or NUL (which would break the header), is left
// out: git then meets the host without one and fails there.
func (s *Server) credentialConfig(ctx context.Context) *credentials {
	c := &credentials{}
	for _, host := range slices.Sorted(maps.Keys(s.cfg.creds)) {
		cred := s.cfg.creds[host]
		secret, err := s.cfg.vault.Credential(ctx, cred.Name)
		if err != nil || secret.IsZero() {
			continue
		}
		value := secret.Reveal()
		if strings.ContainsAny(value, "\r\n\x00") {
			continue
		}
		basic := base64.StdEncoding.EncodeToString([]byte(cred.Username + ":" + value))
		key := "http.https://" + host + "/.extraHeader"
		c.config = append(c.config, configEntry{key, ""}, configEntry{key, "Authorization: Basic " + basic})
		c.secrets = append(c.secrets, []byte(value), []byte(basic))
	}
	return c
}

// scrub replaces every credential handed out with "[redacted]". git does
// not print credentials; this is a second line of defence.
func (c *credentials) scrub(b []byte) []byte {
	for _, v := range c.secrets {
		b = bytes.ReplaceAll(b, v, []byte("[redacted]"))
	}
	return b
}
