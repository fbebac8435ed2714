package fs

import (
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern string
		rel     string
		want    bool
	}{
		{"*.go", "main.go", true},
		{"*.go", "cmd/tool/main.go", true}, // no slash: the name, at any depth
		{"*.go", "cmd/tool/main.go.txt", false},
		{"main.?o", "x/main.go", true},
		{"[a-c]*", "b.txt", true},
		{"[^a-c]*", "b.txt", false},
		{".*", "dir/.hidden", true},
		{"*", "dir/.hidden", true},
		{"cmd/*.go", "cmd/main.go", true},
		{"cmd/*.go", "cmd/tool/main.go", false},
		{"cmd/*.go", "x/cmd/main.go", false},
		{"cmd/**/*.go", "cmd/main.go", true},
		{"cmd/**/*.go", "cmd/a/b/c/main.go", true},
		{"**/*.go", "main.go", true},
		{"**/*.go", "a/b/main.go", true},
		{"**/testdata/*", "a/testdata/x", true},
		{"**/testdata/*", "testdata/x", true},
		{"**/testdata/*", "a/testdata/x/y", false},
		{"**/testdata/**", "a/testdata/x/y", true},
		{"a/**", "a", true},
		{"a/**", "a/b/c", true},
		{"a/**/b/**/c", "a/x/b/y/z/c", true},
		{"a/**/b/**/c", "a/x/c/y/b", false},
		{"./src/*.ts", "src/app.ts", true},
		{"/src/*.ts", "src/app.ts", true},
		{"*.{ts,tsx}", "ui/app.tsx", true},
		{"*.{ts,tsx}", "ui/app.js", false},
		{"{src,lib}/**/*.{c,h}", "lib/x/y.h", true},
		{"{src,lib}/**/*.{c,h}", "test/y.h", false},
		{"{a,{b,c}}.txt", "c.txt", true},
		{"{a}.txt", "{a}.txt", true}, // no comma: literal braces
		{`\{a,b\}`, "{a,b}", true},
		{`\*`, "*", true},
		{`\*`, "x", false},
		{"**", "anything/at/all", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.rel, func(t *testing.T) {
			g, err := compileGlob(tt.pattern)
			require.NoError(t, err)
			require.Equal(t, tt.want, g.match(tt.rel, path.Base(tt.rel)))
		})
	}
}

func TestCompileGlobErrors(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"", "empty"},
		{"[a-", "malformed"},
		{"a/[", "malformed"},
		{`x\`, "malformed"},
		{strings.Repeat("a", maxPatternLen+1), "longer than"},
		{strings.Repeat("{a,b}", 9), "more than 256 alternatives"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			_, err := compileGlob(tt.pattern)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestExpandBraces(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"plain", []string{"plain"}},
		{"{a,b}", []string{"a", "b"}},
		{"x{a,b}y{1,2}", []string{"xay1", "xay2", "xby1", "xby2"}},
		{"{a,{b,c}d}", []string{"a", "bd", "cd"}},
		{"{a,}", []string{"a", ""}},
		{"{a", []string{"{a"}},
		{"a}", []string{"a}"}},
		{"{{a,b}", []string{"{a", "{b"}},
		{`{a\,b}`, []string{`{a\,b}`}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := expandBraces(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// FuzzGlob checks the glob compiler and matcher on any pattern and path:
// no panic; a pattern of one plain segment agrees with path.Match on the
// name; and a pattern that compiles matches the same way every time.
func FuzzGlob(f *testing.F) {
	for _, s := range []string{"*.go", "**/x/*", "{a,b}/c", "[a-z]?", `\{`, "a/**/b", "{{{", "}}{,"} {
		f.Add(s, "a/b/c.go")
	}
	f.Fuzz(func(t *testing.T, pattern, rel string) {
		g, err := compileGlob(pattern)
		if err != nil {
			return
		}
		name := path.Base(rel)
		got := g.match(rel, name)
		require.Equal(t, got, g.match(rel, name))
		if !strings.ContainsAny(pattern, "/{}") && pattern != "**" && pattern != "." {
			want, err := path.Match(pattern, name)
			require.NoError(t, err)
			require.Equal(t, want, got, "pattern %q name %q", pattern, name)
		}
	})
}
