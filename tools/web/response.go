package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ironcurtain-go/ironcurtain"
)

// readBody reads the final response under the size cap, decodes its
// character set and formats it as the request asks.
func (s *Server) readBody(ctx context.Context, f *fetched, req *fetchRequest) error {
	resp := f.resp
	ct := resp.Header.Get("Content-Type")
	mt := mediaType(ct)
	kind := classify(mt)
	if kind == kindBinary {
		return refusef("the response is %s, a binary type; http_fetch returns text only", shorten(mt, 100))
	}
	limit := s.cfg.maxBody
	if resp.ContentLength > limit {
		return refusef("response larger than %s (Content-Length %d); it was not read", formatBytes(limit), resp.ContentLength)
	}
	// The cap applies to the decoded body: the transport un-gzips, so a
	// small compressed bomb still stops one byte past the cap.
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return &hopError{f.final(), &bodyError{err}}
	}
	if int64(len(body)) > limit {
		return refusef("response larger than %s; the read was stopped there", formatBytes(limit))
	}
	if kind == kindUnknown {
		if mt, kind = sniff(body); kind == kindBinary {
			return refusef("the response looks like %s, a binary type; http_fetch returns text only", shorten(mt, 100))
		}
	}
	text, _ := decodeText(body, ct, kind == kindHTML)
	f.page = text
	if kind != kindHTML || req.format == "html" {
		return nil
	}
	p, err := parsePage(text, f.final())
	if err != nil {
		// The parser refuses pathological pages (nesting deeper than 512);
		// their text is still worth returning.
		f.page = tokenText(text)
		return nil
	}
	f.title = p.title
	if req.format == "markdown" {
		if md, err := p.markdown(ctx, s.conv); err == nil {
			f.page = md
			return nil
		}
	}
	f.page = p.text()
	return nil
}

// formatBytes renders a size as people write it: "10 MiB", "512 KiB".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// fetchOutput is Result.Structured of http_fetch, and its output schema.
type fetchOutput struct {
	Status         int               `json:"status"`
	URL            string            `json:"url"`
	Title          string            `json:"title,omitempty"`
	Headers        map[string]string `json:"headers"`
	Body           string            `json:"body"`
	Truncated      bool              `json:"truncated"`
	Redirects      []string          `json:"redirects,omitempty"`
	DroppedHeaders []DroppedHeader   `json:"dropped_headers,omitempty"`
}

// reportedHeaders are the response headers a result shows.
var reportedHeaders = []string{"Content-Type", "Content-Length", "Last-Modified", "ETag"}

// result renders a successful fetch: status line, key headers, content.
func (f *fetched) result(req *fetchRequest) ironcurtain.Result {
	body, truncated, total := truncate(f.page, req.maxLength)
	out := fetchOutput{
		Status:         f.resp.StatusCode,
		URL:            f.final().String(),
		Title:          shorten(f.title, 300),
		Headers:        map[string]string{},
		Body:           body,
		Truncated:      truncated,
		DroppedHeaders: req.dropped,
	}
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d %s\n", out.Status, http.StatusText(out.Status))
	fmt.Fprintf(&b, "URL: %s\n", out.URL)
	if len(f.hops) > 1 {
		for _, h := range f.hops[1:] {
			out.Redirects = append(out.Redirects, h.String())
		}
		fmt.Fprintf(&b, "Redirected from: %s (%d redirects)\n", f.hops[0], len(f.hops)-1)
	}
	for _, name := range reportedHeaders {
		if v := cleanHeaderValue(f.resp.Header.Get(name)); v != "" {
			out.Headers[strings.ToLower(name)] = v
			fmt.Fprintf(&b, "%s: %s\n", name, v)
		}
	}
	if out.Title != "" {
		fmt.Fprintf(&b, "Title: %s\n", out.Title)
	}
	if len(req.dropped) > 0 {
		parts := make([]string, len(req.dropped))
		for i, d := range req.dropped {
			parts[i] = d.Name + " (" + d.Reason + ")"
		}
		fmt.Fprintf(&b, "Dropped request headers: %s\n", strings.Join(parts, ", "))
	}
	b.WriteString("\n")
	b.WriteString(body)
	if truncated {
		fmt.Fprintf(&b, "\n\n[truncated: %d of %d characters shown; call again with a larger max_length]", req.maxLength, total)
	}
	structured, err := json.Marshal(out)
	if err != nil { // cannot happen: strings, ints and bools only
		structured = nil
	}
	res := ironcurtain.TextResult(b.String())
	res.Structured = structured
	return res
}

// truncate cuts s to at most n characters (runes). It reports whether it
// cut and how many characters s has.
func truncate(s string, n int) (string, bool, int) {
	total := utf8.RuneCountInString(s)
	if total <= n {
		return s, false, total
	}
	i, count := 0, 0
	for i = range s {
		if count == n {
			break
		}
		count++
	}
	return s[:i], true, total
}

// cleanHeaderValue removes control characters and bounds the length of a
// response header value before it is shown.
func cleanHeaderValue(v string) string {
	v = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, v)
	return shorten(strings.TrimSpace(v), 300)
}
