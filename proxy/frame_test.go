package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFrameReader(t *testing.T) {
	long := strings.Repeat("x", 100)
	tests := []struct {
		name  string
		input string
		max   int
		want  []string // lines; "!<id>" marks a too-long line with that id ("!" for none)
	}{
		{name: "lines", input: "a\nbb\r\n\n  \nccc", max: 10, want: []string{"a", "bb", "ccc"}},
		{name: "exactly max", input: "0123456789\n", max: 10, want: []string{"0123456789"}},
		{name: "one over", input: `{"id":1,"x":"` + long + "\"}\nnext\n", max: 10, want: []string{"!1", "next"}},
		{name: "id last", input: `{"x":"` + long + `","id":"abc"}` + "\n", max: 10, want: []string{`!"abc"`}},
		{name: "no id", input: `{"x":"` + long + "\"}\n", max: 10, want: []string{"!"}},
		{name: "nested id ignored", input: `{"p":{"id":5},"x":"` + long + "\"}\n", max: 10, want: []string{"!"}},
		{name: "unterminated", input: `{"id":2,"x":"` + long, max: 10, want: []string{"!2"}},
		{name: "long across buffers", input: `{"id":-3.5,"x":"` + strings.Repeat("y", 200<<10) + "\"}\nz\n", max: 1024,
			want: []string{"!-3.5", "z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr := newFrameReader(strings.NewReader(tt.input), tt.max)
			var got []string
			for {
				line, id, err := fr.next()
				if errors.Is(err, errLineTooLong) {
					got = append(got, "!"+string(id))
					continue
				}
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				got = append(got, string(line))
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestIDScanner(t *testing.T) {
	tests := []struct {
		msg  string
		want string
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"x"}`, `1`},
		{`{"id" : "a,b}" , "method":"x"}`, `"a,b}"`},
		{`{"method":"x","params":{"id":9,"list":[{"id":8}]},"id":"s"}`, `"s"`},
		{`{"id":null}`, ``},
		{`{"id":{"a":1}}`, ``},
		{`{"id":[1]}`, ``},
		{`{"i\u0064":3}`, ``},
		{`{"idx":3}`, ``},
		{`{"x":"\"id\":4"}`, ``},
		{`[{"id":1}]`, ``},
		{`{"id":1,"id":2}`, `2`},
		{`{"id":` + strings.Repeat("1", 300) + `}`, ``},
		{`garbage "id":1`, ``},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, string(idOf([]byte(tt.msg))), tt.msg)
	}
}

// FuzzIDScanner checks that the scanner never panics and, on valid JSON
// objects, finds exactly the id encoding/json sees.
func FuzzIDScanner(f *testing.F) {
	for _, s := range []string{`{"id":1}`, `{"a":[{"id":2}],"id":"x"}`, `{"id":"\"}"}`, `{`, `"id":1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		got := idOf(msg)
		if got != nil && !validID(got) {
			t.Fatalf("invalid id %q", got)
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(msg, &m) != nil || !bytes.HasPrefix(bytes.TrimSpace(msg), []byte("{")) {
			return
		}
		want, ok := m["id"]
		if !ok || !validID(want) || len(want) > maxIDValue || bytes.Contains(msg, []byte(`\`)) {
			return // escaped member names are deliberately not matched
		}
		if bytes.Count(msg, []byte(`"id"`)) > 1 {
			return // duplicates: encoding/json keeps one by its own rules
		}
		if !bytes.Equal(bytes.TrimSpace(want), got) {
			t.Fatalf("id of %q: got %q, want %q", msg, got, want)
		}
	})
}

// FuzzFrameReader checks that framing never panics, never returns a line
// over the cap, and returns short lines unchanged.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte("a\nb\r\n"), 4)
	f.Add([]byte(`{"id":1,"x":"yyyyyyyy"}`+"\n"), 8)
	f.Fuzz(func(t *testing.T, input []byte, max int) {
		if max <= 0 || max > 1<<16 {
			return
		}
		fr := newFrameReader(bytes.NewReader(input), max)
		for range len(input) + 1 {
			line, _, err := fr.next()
			if errors.Is(err, errLineTooLong) {
				continue
			}
			if err != nil {
				return
			}
			if len(line) > max {
				t.Fatalf("line of %d bytes over cap %d", len(line), max)
			}
			if !bytes.Contains(input, line) {
				t.Fatalf("line %q not in input", line)
			}
		}
	})
}
