package llm

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// patternRegexp is an independent reading of an endpoint pattern: each
// '*' is one or more characters other than '/'.
func patternRegexp(pattern string) *regexp.Regexp {
	parts := strings.Split(pattern, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, "[^/]+") + "$")
}

func refAllows(p *provider, method, path string) bool {
	for _, e := range p.Endpoints {
		if e.Method == method && patternRegexp(e.Path).MatchString(path) {
			return true
		}
	}
	return false
}

// The allowlist lets through only clean paths that an independent matcher
// also allows, and a path it lets through is sent upstream byte for byte.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"/v1/messages", "/anthropic/v1/messages", "/v1/messages/", "/v1//messages", "/v1/./messages",
		"/v1/%6dessages", "/v1beta/models/gemini-2.5-pro:generateContent", "/google/v1beta/models/a:b:generateContent",
		"/v1beta/models/:generateContent", "/v1/models", "/openai/v1/models/gpt-5", "/V1/messages", "/v1/messages;x",
	} {
		f.Add("POST", s)
		f.Add("GET", s)
	}
	tbl, err := newTable(DefaultProviders())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		p, up, ref := tbl.classifyBase(method, path)
		if ref == nil {
			if !cleanPath(path) || !cleanPath(up) {
				t.Fatalf("allowed an unclean path %q → %q", path, up)
			}
			if !refAllows(p, method, up) {
				t.Fatalf("%s %q allowed for %s, but the reference matcher disagrees", method, up, p.Name)
			}
			if up != path && up != path[len(p.Name)+1:] {
				t.Fatalf("%q became %q", path, up)
			}
			if got := (&url.URL{Path: up}).EscapedPath(); got != up {
				t.Fatalf("%q would travel as %q", up, got)
			}
			if n := countAllowing(tbl, method, path); path == up && n != 1 {
				t.Fatalf("bare path %q allowed though %d providers allow it", path, n)
			}
		} else if ref.status != 403 {
			t.Fatalf("refused %q with %d", path, ref.status)
		}
		for _, host := range []string{"api.anthropic.com", "api.openai.com", "generativelanguage.googleapis.com"} {
			p, ref := tbl.classifyTunnel(host, method, path)
			ok := cleanPath(path) && refAllows(p, method, path)
			if (ref == nil) != ok {
				t.Fatalf("tunnel %s %s %q: allowed=%v, reference=%v", host, method, path, ref == nil, ok)
			}
		}
	})
}

func countAllowing(tbl *table, method, path string) int {
	n := 0
	for _, p := range tbl.providers {
		if cleanPath(path) && refAllows(p, method, path) {
			n++
		}
	}
	return n
}

// Only the exact fake key, in the right slot and scheme, is accepted.
func FuzzCheckKey(f *testing.F) {
	const fake = "sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKEFAKEAA"
	f.Add(fake, "Bearer "+fake, "")
	f.Add(fake+" ", "", "key="+fake)
	f.Add("", "bearer "+fake, "KEY=x")
	f.Add(strings.ToLower(fake), "Bearer  "+fake, "key=%73k")
	anthropic, err := compile(Anthropic())
	if err != nil {
		f.Fatal(err)
	}
	google, err := compile(Google())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, apiKey, authorization, rawQuery string) {
		h := http.Header{}
		if apiKey != "" {
			h.Set("X-Api-Key", apiKey)
		}
		if authorization != "" {
			h.Set("Authorization", authorization)
		}
		got := checkKey(anthropic, h, nil, fake)
		okA := apiKey == "" || apiKey == fake
		scheme, rest, cut := strings.Cut(authorization, " ")
		okB := authorization == "" || (cut && strings.EqualFold(scheme, "Bearer") && rest == fake)
		switch {
		case apiKey == "" && authorization == "":
			if got != keyMissing {
				t.Fatalf("no key, got %v", got)
			}
		case okA && okB:
			if got != keyOK {
				t.Fatalf("right key refused: %q %q", apiKey, authorization)
			}
		default:
			if got != keyWrong {
				t.Fatalf("wrong key %q %q accepted as %v", apiKey, authorization, got)
			}
		}
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		if checkKey(google, http.Header{}, q, fake) == keyOK {
			swapped := swapQueryKey(rawQuery, google.Keys, "REAL")
			sq, err := url.ParseQuery(swapped)
			if err != nil {
				t.Fatalf("swapped query %q does not parse: %v", swapped, err)
			}
			for name, vs := range sq {
				for _, v := range vs {
					if strings.EqualFold(name, "key") && v != "REAL" {
						t.Fatalf("query %q kept %s=%q after the swap", rawQuery, name, v)
					}
					if v == fake {
						t.Fatalf("the fake key travels on in %q", swapped)
					}
				}
			}
		}
	})
}

// However a body is cut into reads, the redactor's output is the input
// with every key masked.
func FuzzRedactor(f *testing.F) {
	f.Add([]byte("hello sk-secret world sk-secret"), "sk-secret", uint8(3))
	f.Add([]byte("aaab aab"), "aab", uint8(1))
	f.Add([]byte("data: x\n\n"), "key", uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, key string, step uint8) {
		if key == "" || len(key) > 64 {
			return
		}
		r := newRedactor(io.NopCloser(&chunked{b: data, step: int(step%7) + 1}), key)
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		want := bytes.ReplaceAll(data, []byte(key), []byte(mask(len(key))))
		if !bytes.Equal(got, want) {
			t.Fatalf("redacted %q as %q, want %q", data, got, want)
		}
	})
}

// chunked returns at most step bytes per Read.
type chunked struct {
	b    []byte
	step int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.step)], c.b)
	c.b = c.b[n:]
	return n, nil
}

// The redactor does not hold back an event's end: everything up to a byte
// that cannot start the key is returned as soon as it is read.
func TestRedactorDoesNotDelayEvents(t *testing.T) {
	pr, pw := io.Pipe()
	r := newRedactor(pr, "sk-secret")
	go pw.Write([]byte("data: {\"a\":1}\n\n"))
	buf := make([]byte, 64)
	n, err := r.Read(buf)
	if err != nil || string(buf[:n]) != "data: {\"a\":1}\n\n" {
		t.Fatalf("got %q, %v", buf[:n], err)
	}
	go pw.Write([]byte("text sk-se"))
	n, _ = r.Read(buf)
	if string(buf[:n]) != "text " {
		t.Fatalf("got %q; the possible key start must wait", buf[:n])
	}
	go func() { pw.Write([]byte("cret!")); pw.Close() }()
	rest, _ := io.ReadAll(r)
	if string(rest) != mask(9)+"!" {
		t.Fatalf("got %q", rest)
	}
}

// refCheckJSON is an independent reading of what scanJSON accepts: valid
// JSON (encoding/json) with no object holding two keys equal but for case.
func refCheckJSON(body []byte) bool {
	if !json.Valid(body) || !utf8.Valid(body) {
		return false
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(&v) == nil && !dupKeys(body)
}

// dupKeys walks the document with Decoder.Token, keeping each object's
// keys, lower-cased.
func dupKeys(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool
	}
	var st []*frame
	done := func() {
		if n := len(st); n > 0 && st[n-1].obj {
			st[n-1].key = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if n := len(st); n > 0 && st[n-1].obj && st[n-1].key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				st = st[:n-1]
				done()
				continue
			}
			k := strings.ToLower(tok.(string))
			if st[n-1].keys[k] {
				return true
			}
			st[n-1].keys[k] = true
			st[n-1].key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			st = append(st, &frame{obj: true, keys: map[string]bool{}, key: true})
		case json.Delim('['):
			st = append(st, &frame{})
		case json.Delim(']'):
			st = st[:len(st)-1]
			done()
		default:
			done()
		}
		if len(st) == 0 {
			return false
		}
	}
}

// The scanner accepts exactly what encoding/json accepts, less repeated
// keys, and finds the same top-level members.
func FuzzScanJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"A":2}`, `{"a":"\u0041","b":[1,2.5e-3,true,null]}`, `[{"k":1},{"k":1}]`, `{"a" : {"a":{}} }`, `"x\"y"`, `-0.0E+1`, `{"\u0074ools":[],"tools":[]}`, "{\"a\":\"\x01\"}", `01`, `{"a":1,}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		members, err := scanJSON(body)
		want := refCheckJSON(body)
		if (err == nil) != want {
			t.Fatalf("scanJSON(%q) = %v, reference says valid=%v", body, err, want)
		}
		if err != nil || len(members) == 0 {
			return
		}
		var doc map[string]json.RawMessage
		if json.Unmarshal(body, &doc) != nil {
			t.Fatalf("members found in a non-object %q", body)
		}
		if len(doc) != len(members) {
			t.Fatalf("%d members, encoding/json sees %d", len(members), len(doc))
		}
		for _, m := range members {
			v, ok := doc[m.key]
			if !ok || !bytes.Equal(bytes.TrimSpace(v), body[m.valStart:m.valEnd]) {
				t.Fatalf("member %q: %q, encoding/json: %q", m.key, body[m.valStart:m.valEnd], v)
			}
		}
	})
}
