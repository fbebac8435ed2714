package compile

import (
	"fmt"
	"strings"
)

// Severity says whether a diagnostic stops the compilation.
type Severity uint8

const (
	// Error: the constitution does not compile.
	Error Severity = iota
	// Warning: it compiles, but a person should look.
	Warning
	// Note: how a sentence was read; nothing to fix.
	Note
)

// String returns "error", "warning" or "note".
func (s Severity) String() string {
	switch s {
	case Warning:
		return "warning"
	case Note:
		return "note"
	}
	return "error"
}

// MarshalText encodes the severity as its String form.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Diagnostic is something the compiler says about one sentence.
type Diagnostic struct {
	// Line is the 1-based line the sentence starts on; 0 for the whole
	// constitution.
	Line     int      `json:"line,omitempty"`
	Severity Severity `json:"severity"`
	// Sentence is the sentence concerned, as written.
	Sentence string `json:"sentence,omitempty"`
	// Column is the 1-based byte column in Sentence where an error was
	// found (1 when it concerns the whole sentence); 0 for a diagnostic
	// about no sentence. The message says it too.
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
	// Unparsed marks a sentence outside the controlled subset: with a
	// model configured it goes to the model instead.
	Unparsed bool `json:"unparsed,omitempty"`
}

// String renders the diagnostic on one line: "line 12: error: message".
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", d.Line)
	}
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	b.WriteString(d.Message)
	if d.Sentence != "" {
		fmt.Fprintf(&b, "\n\t%s", d.Sentence)
	}
	return b.String()
}

// CompileError is returned when a constitution does not compile: its
// sentences have errors, a server's rules failed verification, or a model
// stage failed. The [Result] returned with it holds the full report.
type CompileError struct {
	// Diagnostics are the error diagnostics.
	Diagnostics []Diagnostic
	// Servers are the servers whose rules could not be made to pass their
	// scenarios, or whose model stages failed.
	Servers []ServerReport
}

// Error summarises the failure: how many sentences could not be compiled
// and which servers did not converge.
func (e *CompileError) Error() string {
	var parts []string
	if n := len(e.Diagnostics); n > 0 {
		parts = append(parts, fmt.Sprintf("%d error(s) in the constitution, the first: %s", n, firstLine(e.Diagnostics[0].String())))
	}
	for _, s := range e.Servers {
		parts = append(parts, fmt.Sprintf("server %s failed: %s", s.Server, s.Error))
	}
	return "compile: " + strings.Join(parts, "; ")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
