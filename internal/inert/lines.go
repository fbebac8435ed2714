package inert

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ironcurtain-go/ironcurtain/internal/defaults"
)

// LinesConfig configures a [Lines] writer. The zero value is valid: no
// prefix and the default bounds.
type LinesConfig struct {
	// Prefix starts every line written, before the inert text; it is
	// itself made inert. Name the source in it ("[github] ").
	Prefix string
	// MaxLine bounds the bytes of one input line that are shown; the rest
	// is dropped and the line ends with a marker giving its full size.
	// Zero means DefaultMaxLine.
	MaxLine int
	// Rate is how many lines a second are shown on average, and Burst how
	// many may come at once; lines beyond are dropped and counted, and the
	// count is written before the next line shown (or by Flush). Zero
	// means DefaultRate and DefaultBurst.
	Rate  float64
	Burst int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Default bounds of a Lines writer.
const (
	DefaultMaxLine = 4096
	DefaultRate    = 50
	DefaultBurst   = 200
)

// Lines is an io.Writer for the output of an untrusted program (a jailed
// server's standard error). It cuts what it is given into lines and
// writes each to the underlying writer as Prefix, the line made inert by
// [String], and a newline, in one Write call, so that lines of several
// Lines sharing a writer never interleave. Lines are bounded in length
// (MaxLine) and in rate (Rate, Burst); what is cut or dropped is said,
// with its size or count.
//
// Write never fails and never keeps more than MaxLine bytes, so the
// program writing cannot tell how its output is shown and cannot make
// this process hold more. A Lines is safe for concurrent use.
type Lines struct {
	w      io.Writer
	prefix string
	max    int
	rate   float64
	burst  float64
	now    func() time.Time

	mu      sync.Mutex
	line    []byte    // the current line, at most max bytes
	size    int       // the current line's full size
	tokens  float64   // lines that may be shown now
	last    time.Time // when tokens was last refilled
	dropped int       // lines dropped since the last notice
}

// NewLines returns a Lines writing to w.
func NewLines(w io.Writer, cfg LinesConfig) *Lines {
	l := &Lines{w: w, prefix: String(cfg.Prefix), max: cfg.MaxLine, rate: cfg.Rate, burst: float64(cfg.Burst), now: cfg.Now}
	defaults.Positive(&l.max, DefaultMaxLine)
	defaults.Positive(&l.rate, DefaultRate)
	defaults.Positive(&l.burst, DefaultBurst)
	if l.now == nil {
		l.now = time.Now
	}
	l.tokens, l.last = l.burst, l.now()
	return l
}

// Write takes p, writes every line it completes and keeps the rest for
// the next call. It always returns len(p), nil: errors of the underlying
// writer are ignored, as the program must not depend on them.
func (l *Lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		l.size += len(chunk)
		if room := l.max - len(l.line); room > 0 {
			l.line = append(l.line, chunk[:min(room, len(chunk))]...)
		}
		if i < 0 {
			break
		}
		l.emit("")
		p = p[i+1:]
	}
	return n, nil
}

// Flush writes the line in progress, if any, marked as unfinished, and
// the count of lines dropped since the last notice. Call it when the
// program has exited.
func (l *Lines) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.size > 0 {
		l.emit(" [no newline]")
	}
	l.notice()
	return nil
}

// emit shows the current line, or counts it as dropped, and starts the
// next. l.mu is held.
func (l *Lines) emit(suffix string) {
	line, size := l.line, l.size
	l.line, l.size = l.line[:0], 0
	now := l.now()
	if el := now.Sub(l.last).Seconds(); el > 0 {
		l.tokens = min(l.burst, l.tokens+el*l.rate)
	}
	l.last = now
	if l.tokens < 1 {
		l.dropped++
		return
	}
	l.tokens--
	l.notice()
	line = bytes.TrimSuffix(line, []byte{'\r'})
	cut := ""
	if size > len(line) && size > l.max {
		// Cut at a character boundary, not inside one.
		for k := len(line); k > 0 && k > len(line)-utf8.UTFMax; k-- {
			if utf8.RuneStart(line[k-1]) {
				if !utf8.FullRune(line[k-1:]) {
					line = line[:k-1]
				}
				break
			}
		}
		cut = fmt.Sprintf(" [cut: line of %d bytes]", size)
	}
	l.put(String(string(line)) + cut + suffix)
}

// notice writes how many lines were dropped, if any. l.mu is held.
func (l *Lines) notice() {
	if l.dropped == 0 {
		return
	}
	l.put(fmt.Sprintf("[%d lines dropped: more than %g a second]", l.dropped, l.rate))
	l.dropped = 0
}

// put writes one finished line. l.mu is held.
func (l *Lines) put(s string) {
	_, _ = io.WriteString(l.w, l.prefix+s+"\n")
}
