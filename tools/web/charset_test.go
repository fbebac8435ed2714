package web

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestDecodeText(t *testing.T) {
	ascii2k := strings.Repeat("a", 2000)
	tests := []struct {
		name, body, contentType string
		html                    bool
		want, charset           string
	}{
		{"latin-1 from header", "caf\xe9", "text/plain; charset=iso-8859-1", false, "café", "windows-1252"},
		{"shift_jis from header", "\x93\xfa\x96\x7b", "text/plain; charset=Shift_JIS", false, "日本", "shift_jis"},
		{"quoted charset parameter", "caf\xe9", `text/html; charset="latin1"`, true, "café", "windows-1252"},
		{"meta charset", `<meta charset="windows-1252"><p>caf` + "\xe9", "text/html", true, `<meta charset="windows-1252"><p>café`, "windows-1252"},
		{"meta http-equiv", `<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">` + "\xf0\xd2\xc9\xd7\xc5\xd4", "text/html", true,
			`<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">Привет`, "koi8-r"},
		{"header beats meta", `<meta charset="koi8-r">caf` + "\xe9", "text/html; charset=iso-8859-1", true, `<meta charset="koi8-r">café`, "windows-1252"},
		{"BOM beats header", "\xef\xbb\xbfcafé", "text/plain; charset=iso-8859-1", false, "café", "utf-8"},
		{"UTF-16LE BOM", "\xff\xfeh\x00i\x00", "", false, "hi", "utf-16le"},
		{"UTF-16BE BOM", "\xfe\xff\x00h\x00i", "text/html", true, "hi", "utf-16be"},
		{"valid UTF-8 past the first KiB", ascii2k + "é", "text/html", true, ascii2k + "é", "utf-8"},
		{"unlabelled legacy bytes", "caf\xe9", "text/plain", false, "café", "windows-1252"},
		{"meta utf-16 means utf-8", `<meta charset="utf-16">é`, "text/html", true, `<meta charset="utf-16">é`, "utf-8"},
		{"unknown label falls through", "é", "text/plain; charset=x-klingon", false, "é", "utf-8"},
		{"meta ignored outside HTML", `<meta charset="koi8-r">` + "\xf0", "text/plain", false, `<meta charset="koi8-r">` + "ð", "windows-1252"},
		{"meta after 1024 bytes ignored", ascii2k + `<meta charset="koi8-r">`, "text/html", true, ascii2k + `<meta charset="koi8-r">`, "utf-8"},
		{"invalid UTF-8 declared", "ok\xff", "text/plain; charset=utf-8", false, "ok\uFFFD", "utf-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, cs := decodeText([]byte(tc.body), tc.contentType, tc.html)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.charset, cs)
		})
	}
}

func TestCharsetFromContent(t *testing.T) {
	tests := map[string]string{
		"text/html; charset=iso-8859-1":    "iso-8859-1",
		"text/html;charset = 'koi8-r' x":   "koi8-r",
		`text/html; CHARSET="utf-8"`:       "utf-8",
		"text/html; charset=":              "",
		"text/html":                        "",
		`text/html; charset="unterminated`: "",
		"charset=gbk;":                     "gbk",
	}
	for in, want := range tests {
		require.Equal(t, want, charsetFromContent(in), in)
	}
}

func TestFetchCharsetEndToEnd(t *testing.T) {
	page := "<html><head><meta charset=\"windows-1252\"><title>Caf\xe9</title></head><body><p>Cr\xe8me br\xfbl\xe9e</p></body></html>"
	site, port := newSite(t, content("text/html", page))
	s := newLocal(t, Options{}, port)
	for _, format := range []string{"markdown", "text", "html"} {
		_, out := fetchOK(t, s, map[string]any{"url": site.URL, "format": format})
		require.Contains(t, out.Body, "Crème brûlée", format)
	}
	_, out := fetchOK(t, s, map[string]any{"url": site.URL})
	require.Equal(t, "Café", out.Title)
}

func FuzzDecodeText(f *testing.F) {
	f.Add([]byte("caf\xe9"), "text/plain; charset=iso-8859-1", false)
	f.Add([]byte(`<meta http-equiv="content-type" content="text/html; charset=shift_jis">`+"\x93\xfa"), "text/html", true)
	f.Add([]byte("\xff\xfe\x00\xd8"), "", false)
	f.Add([]byte("\xef\xbb\xbf<meta charset=utf-16>"), "text/html; charset=bogus", true)
	f.Fuzz(func(t *testing.T, body []byte, contentType string, isHTML bool) {
		got, name := decodeText(body, contentType, isHTML)
		if !utf8.ValidString(got) {
			t.Fatalf("not UTF-8: %q", got)
		}
		if strings.HasPrefix(got, "\uFEFF") {
			t.Fatalf("BOM kept: %q", got)
		}
		if name == "" {
			t.Fatal("no charset name")
		}
	})
}

func FuzzCharsetFromContent(f *testing.F) {
	f.Add("text/html; charset=iso-8859-1")
	f.Add(`charset="x`)
	f.Fuzz(func(t *testing.T, content string) {
		cs := charsetFromContent(content)
		if !strings.Contains(content, cs) {
			t.Fatalf("%q is not part of %q", cs, content)
		}
	})
}
