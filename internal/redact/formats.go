package redact

import "strings"

// scanFormats appends the spans of credentials of known formats and of
// personal numbers in s. It makes one pass, looking at each position only
// for the formats that can start with the byte there.
func scanFormats(s string, out []span) []span {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !startByte[c] {
			continue
		}
		if isDigit(c) {
			if i > 0 && isWord(s[i-1]) {
				continue
			}
			end, sp, ok := numberRun(s, i)
			if ok {
				out = append(out, sp)
			}
			i = end - 1
			continue
		}
		if i > 0 && isWord(s[i-1]) && c != '-' {
			continue // tokens start at a word boundary
		}
		var sp span
		var ok bool
		switch c {
		case 's':
			sp, ok = apiKey(s, i)
		case 'g':
			sp, ok = githubToken(s, i)
		case 'x':
			sp, ok = slackToken(s, i)
		case 'A':
			sp, ok = awsOrGoogleKey(s, i)
		case 'e':
			sp, ok = jwt(s, i)
		case '-':
			sp, ok = privateKey(s, i)
		case 'b', 'B':
			sp, ok = bearer(s, i)
		case 'a':
			sp, ok = authorization(s, i)
		}
		if c == 'A' && !ok {
			sp, ok = authorization(s, i)
		}
		if ok {
			out = append(out, sp)
			i = sp.end - 1
		}
	}
	return out
}

// startByte marks the bytes a format can start with.
var startByte = func() (t [256]bool) {
	for _, c := range []byte("0123456789sgxAe-bBa") {
		t[c] = true
	}
	return t
}()

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isUpper(c) || ('a' <= c && c <= 'z') }
func isWord(c byte) bool  { return isAlnum(c) || c == '_' }

// run returns the end of the run of bytes accepted by ok from i.
func run(s string, i int, ok func(byte) bool) int {
	for i < len(s) && ok(s[i]) {
		i++
	}
	return i
}

func tokenByte(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// apiKey: OpenAI "sk-…" and "sk-proj-…", Anthropic "sk-ant-…", with at
// least 20 token characters after "sk-".
func apiKey(s string, i int) (span, bool) {
	if !strings.HasPrefix(s[i:], "sk-") {
		return span{}, false
	}
	end := run(s, i+3, tokenByte)
	if end-(i+3) < 20 {
		return span{}, false
	}
	keep := 3
	for _, p := range []string{"sk-ant-", "sk-proj-"} {
		if strings.HasPrefix(s[i:], p) {
			keep = len(p)
		}
	}
	return span{start: i, end: end, kind: kindKeep, keep: keep}, true
}

// githubToken: ghp_, gho_, ghu_, ghs_, ghr_ and github_pat_ tokens.
func githubToken(s string, i int) (span, bool) {
	rest := s[i:]
	if strings.HasPrefix(rest, "github_pat_") {
		end := run(s, i+11, func(c byte) bool { return isAlnum(c) || c == '_' })
		if end-(i+11) >= 22 {
			return span{start: i, end: end, kind: kindKeep, keep: 11}, true
		}
		return span{}, false
	}
	if len(rest) < 4 || rest[:2] != "gh" || rest[3] != '_' || !strings.ContainsRune("pousr", rune(rest[2])) {
		return span{}, false
	}
	end := run(s, i+4, isAlnum)
	if end-(i+4) < 30 {
		return span{}, false
	}
	return span{start: i, end: end, kind: kindKeep, keep: 4}, true
}

// slackToken: xoxa-, xoxb-, xoxp-, xoxr-, xoxs- tokens.
func slackToken(s string, i int) (span, bool) {
	rest := s[i:]
	if len(rest) < 5 || rest[:3] != "xox" || rest[4] != '-' || !strings.ContainsRune("abprs", rune(rest[3])) {
		return span{}, false
	}
	end := run(s, i+5, func(c byte) bool { return isAlnum(c) || c == '-' })
	if end-(i+5) < 10 {
		return span{}, false
	}
	return span{start: i, end: end, kind: kindKeep, keep: 5}, true
}

// awsOrGoogleKey: AWS access key ids (AKIA or ASIA and 16 upper-case letters
// or digits) and Google API keys (AIza and 35 token characters).
func awsOrGoogleKey(s string, i int) (span, bool) {
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, "AKIA"), strings.HasPrefix(rest, "ASIA"):
		end := run(s, i+4, func(c byte) bool { return isUpper(c) || isDigit(c) })
		if end-(i+4) == 16 && (end == len(s) || !isWord(s[end])) {
			return span{start: i, end: end, kind: kindKeep, keep: 4}, true
		}
	case strings.HasPrefix(rest, "AIza"):
		end := run(s, i+4, tokenByte)
		if end-(i+4) >= 30 {
			return span{start: i, end: end, kind: kindKeep, keep: 4}, true
		}
	}
	return span{}, false
}

// jwt: three base64url segments, the first a JSON header ("eyJ").
func jwt(s string, i int) (span, bool) {
	if !strings.HasPrefix(s[i:], "eyJ") {
		return span{}, false
	}
	b64 := func(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }
	end := run(s, i, b64)
	if end-i < 10 || end >= len(s) || s[end] != '.' {
		return span{}, false
	}
	p := end + 1
	end = run(s, p, b64)
	if end-p < 5 || end >= len(s) || s[end] != '.' {
		return span{}, false
	}
	end = run(s, end+1, b64)
	return span{start: i, end: end, kind: kindVault}, true
}

// privateKey: a PEM block whose label names a private key, to its END line
// or, if there is none, to the end of the text.
func privateKey(s string, i int) (span, bool) {
	const begin = "-----BEGIN "
	if !strings.HasPrefix(s[i:], begin) {
		return span{}, false
	}
	labelEnd := strings.Index(s[i+len(begin):], "-----")
	if labelEnd < 0 {
		return span{}, false
	}
	label := s[i+len(begin) : i+len(begin)+labelEnd]
	if !strings.Contains(label, "PRIVATE KEY") || strings.ContainsAny(label, "\n\r") {
		return span{}, false
	}
	after := i + len(begin) + labelEnd + 5
	endMarker := "-----END " + label + "-----"
	if j := strings.Index(s[after:], endMarker); j >= 0 {
		return span{start: i, end: after + j + len(endMarker), kind: kindVault}, true
	}
	return span{start: i, end: len(s), kind: kindVault}, true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func credentialByte(c byte) bool {
	return isAlnum(c) || strings.IndexByte("-._~+/=", c) >= 0
}

// bearer: "Bearer <token>" in any case; the token (8 or more characters) is
// redacted, the word kept.
func bearer(s string, i int) (span, bool) {
	if !hasPrefixFold(s[i:], "bearer") {
		return span{}, false
	}
	p := run(s, i+6, func(c byte) bool { return c == ' ' || c == '\t' })
	if p == i+6 {
		return span{}, false
	}
	end := run(s, p, credentialByte)
	if end-p < 8 {
		return span{}, false
	}
	return span{start: p, end: end, kind: kindVault}, true
}

// authorization: an "Authorization: <scheme> <credentials>" header, also
// written with = or inside JSON quotes. The scheme word is kept, the rest of
// the value redacted.
func authorization(s string, i int) (span, bool) {
	if !hasPrefixFold(s[i:], "authorization") {
		return span{}, false
	}
	quoteOrSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '"' || c == '\'' || c == '\\' }
	p := run(s, i+13, quoteOrSpace)
	if p >= len(s) || (s[p] != ':' && s[p] != '=') {
		return span{}, false
	}
	p = run(s, p+1, quoteOrSpace)
	end := p
	for end < len(s) && s[end] != '\n' && s[end] != '\r' && s[end] != '"' && s[end] != '\'' && s[end] != '\\' {
		end++
	}
	if end == p {
		return span{}, false
	}
	value := s[p:end]
	if sp := strings.IndexByte(value, ' '); sp > 0 && sp < len(value)-1 {
		p += sp + 1 // keep "Basic ", "Bearer ", "token "
	}
	return span{start: p, end: end, kind: kindVault}, true
}

// numberRun reads the run of digits starting at i, with single spaces or
// dashes between digits, and reports a span if it is a Luhn-valid card
// number of 13 to 19 digits or a plausible US social security number
// (ddd-dd-dddd, separators optional). end is where the run stops.
func numberRun(s string, i int) (end int, sp span, ok bool) {
	digits := 0
	var seps [2]int // digit counts before the first two separators
	nseps := 0
	end = i
	for end < len(s) {
		c := s[end]
		if isDigit(c) {
			digits++
			end++
			continue
		}
		if (c == ' ' || c == '-') && end+1 < len(s) && isDigit(s[end+1]) && end > i && isDigit(s[end-1]) {
			if nseps < len(seps) {
				seps[nseps] = digits
			}
			nseps++
			end++
			continue
		}
		break
	}
	if end < len(s) && isWord(s[end]) {
		return end, span{}, false
	}
	text := s[i:end]
	switch {
	case digits >= 13 && digits <= 19 && luhn(text):
		return end, span{start: i, end: end, kind: kindCard}, true
	case digits == 9 && ssnShape(seps, nseps) && ssnValid(onlyDigits(text)):
		return end, span{start: i, end: end, kind: kindSSN}, true
	}
	return end, span{}, false
}

func ssnShape(seps [2]int, n int) bool {
	switch n {
	case 0:
		return true
	case 1:
		return seps[0] == 3 || seps[0] == 5
	case 2:
		return seps[0] == 3 && seps[1] == 5
	}
	return false
}

func ssnValid(d string) bool {
	area, group, serial := d[:3], d[3:5], d[5:]
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}

func luhn(text string) bool {
	sum, double := 0, false
	for i := len(text) - 1; i >= 0; i-- {
		c := text[i]
		if !isDigit(c) {
			continue
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
