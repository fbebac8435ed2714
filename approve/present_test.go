package approve

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// inert reports whether s holds only visible characters and plain spaces.
func inert(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != ' ' && (!unicode.IsGraphic(r) || unicode.IsSpace(r)) {
			return false
		}
	}
	return true
}

func TestPresentOrdersAndCuts(t *testing.T) {
	esc := escalation(pathRes("write-path", "/home/u/.bashrc"))
	esc.Call.Arguments = map[string]any{"path": "/home/u/.bashrc", "content": strings.Repeat("a", 10_000), "mode": 0o644}
	p := Present(esc)
	require.Equal(t, []ShownResource{{Argument: "path", Role: "write-path", Kind: "path", Value: "/home/u/.bashrc"}}, p.Resources)
	require.Len(t, p.Arguments, 2)
	require.Equal(t, "content", p.Arguments[0].Name)
	require.Equal(t, 10_000, p.Arguments[0].Size)
	require.True(t, p.Arguments[0].Cut)
	require.Len(t, p.Arguments[0].Value, MaxArgumentShown)
	require.Equal(t, ShownArgument{Name: "mode", Value: "420", Size: 3}, p.Arguments[1])
	d, err := ironcurtain.ArgumentsDigest(esc.Call.Arguments)
	require.NoError(t, err)
	require.Equal(t, d, p.Digest)
	text := p.Text()
	require.Less(t, strings.Index(text, "/home/u/.bashrc"), strings.Index(text, "aaaa"), "the target comes before the content")
	a := p.Approval("web", "ok")
	require.Equal(t, d, a.Arguments)
}

func TestPresentCutNeverSplitsAnEscape(t *testing.T) {
	for n := range 8 {
		esc := escalation()
		esc.Call.Arguments = map[string]any{"c": strings.Repeat("a", MaxArgumentShown-n) + strings.Repeat("\x1b", 10)}
		v := Present(esc).Arguments[0].Value
		require.True(t, strings.HasSuffix(v, "a") || strings.HasSuffix(v, `\u001b`), "cut at %d: %q", n, v[len(v)-8:])
	}
}

func FuzzPresent(f *testing.F) {
	f.Add("/w/a", "content\x1b[2J\u202e\n", "k")
	f.Fuzz(func(t *testing.T, path, value, key string) {
		esc := escalation(pathRes("write-path", path))
		esc.Call.Arguments = map[string]any{key: value, "n": []any{value, 1.5}}
		esc.Decision.Reason = value
		p := Present(esc)
		for _, s := range []string{p.Server, p.Tool, p.Rule, p.Reason} {
			require.True(t, inert(s), "%q", s)
		}
		for _, r := range p.Resources {
			require.True(t, inert(r.Value) && inert(r.Argument), "%q", r.Value)
		}
		require.Len(t, p.Resources, 1)
		for _, a := range p.Arguments {
			require.True(t, inert(a.Value) && inert(a.Name), "%q", a.Value)
			require.LessOrEqual(t, len(a.Value), MaxArgumentShown)
		}
		require.Equal(t, 3+len(p.Arguments)+len(p.Resources)+4, strings.Count(p.Text(), "\n")+map[bool]int{true: 1, false: 0}[len(p.Arguments) == 0])
	})
}
