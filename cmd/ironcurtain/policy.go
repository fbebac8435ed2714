package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// maxRequestLine bounds one JSON line read by policy eval and explain.
const maxRequestLine = 8 << 20

func runPolicy(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: ironcurtain policy eval|explain|lint|test|diff [flags]")
		return 2
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "test":
		return runPolicyTest(ctx, rest, stdin, stdout, stderr)
	case "diff":
		return runPolicyDiff(ctx, rest, stdin, stdout, stderr)
	case "eval", "explain", "lint":
	default:
		fmt.Fprintf(stderr, "ironcurtain policy: unknown subcommand %q (want eval, explain, lint, test or diff)\n", sub)
		return 2
	}
	fs := flag.NewFlagSet("ironcurtain policy "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf policyFlags
	pf.register(fs)
	jsonOut := fs.Bool("json", false, "lint: print findings as JSON lines")
	if err := fs.Parse(rest); err != nil {
		return parseExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ironcurtain policy %s: unexpected argument %q\n", sub, fs.Arg(0))
		return 2
	}
	e, err := pf.load()
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain policy %s: %v\n", sub, err)
		return 2
	}
	switch sub {
	case "lint":
		return lint(e, builtinDrift(ctx, e, stderr), *jsonOut, stdout, stderr)
	case "explain":
		return evalLines(ctx, e, stdin, stdout, stderr, true)
	}
	return evalLines(ctx, e, stdin, stdout, stderr, false)
}

// policyFlags are the flags that choose a policy and its settings.
type policyFlags struct {
	policy, annotations, lists, sandbox string
	protect, trusted                    multiFlag
	domains                             multiFlag
}

func (p *policyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.policy, "policy", "", "compiled-policy.json (default: the embedded default policy)")
	fs.StringVar(&p.annotations, "annotations", "", "tool-annotations.json (default: the built-in tools' annotations)")
	fs.StringVar(&p.lists, "lists", "", "dynamic-lists.json (default: the default policy's lists when -policy is not given)")
	fs.StringVar(&p.sandbox, "sandbox", "", "the agent's sandbox directory")
	fs.Var(&p.protect, "protect", "a protected path (repeatable)")
	fs.Var(&p.domains, "allow-domains", "SERVER=PATTERN[,PATTERN...]: the domains a server's URLs may name (repeatable); SERVER= alone: none, every URL escalates")
	fs.Var(&p.trusted, "trusted", "a server allowed every call (repeatable)")
}

// config builds the engine settings from the flags.
func (p *policyFlags) config() (policy.Config, error) {
	var cfg policy.Config
	if p.sandbox != "" {
		abs, err := filepath.Abs(p.sandbox)
		if err != nil {
			return cfg, err
		}
		cfg.Sandbox = abs
	}
	for _, pr := range p.protect {
		if !strings.HasPrefix(pr, "~") {
			abs, err := filepath.Abs(pr)
			if err != nil {
				return cfg, err
			}
			pr = abs
		}
		cfg.Protected = append(cfg.Protected, pr)
	}
	cfg.Trusted = p.trusted
	for _, d := range p.domains {
		server, patterns, ok := strings.Cut(d, "=")
		if !ok || server == "" {
			return cfg, fmt.Errorf("-allow-domains %q: want SERVER=PATTERN[,PATTERN...], or SERVER= for none", d)
		}
		if cfg.DomainAllowlists == nil {
			cfg.DomainAllowlists = map[string][]string{}
		}
		// "SERVER=" is an allowlist that is present and empty: every URL of
		// the server escalates. An empty pattern among others is refused by
		// the engine as an invalid entry.
		list := append([]string{}, cfg.DomainAllowlists[server]...)
		if patterns != "" {
			list = append(list, strings.Split(patterns, ",")...)
		}
		cfg.DomainAllowlists[server] = list
	}
	return cfg, nil
}

// load builds the engine from the files given, the embedded defaults
// standing in for those that are not.
func (p *policyFlags) load() (*policy.Engine, error) {
	cfg, err := p.config()
	if err != nil {
		return nil, err
	}
	return policy.Load(policy.Files{Policy: p.policy, Annotations: p.annotations, Lists: p.lists}, cfg)
}

// request is one line of input: a tool call.
type request struct {
	ID        string         `json:"id,omitempty"`
	Session   string         `json:"session,omitempty"`
	Server    string         `json:"server"`
	Tool      string         `json:"tool"`
	Arguments map[string]any `json:"arguments"`
}

// result is one line of output.
type result struct {
	Decision string `json:"decision"`
	Rule     string `json:"rule"`
	Reason   string `json:"reason"`
}

// parseRequest decodes one line strictly; a bad line is an error naming
// what is wrong.
func parseRequest(line []byte) (ironcurtain.ToolCall, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var r request
	if err := dec.Decode(&r); err != nil {
		return ironcurtain.ToolCall{}, fmt.Errorf("malformed request: %v", err)
	}
	if dec.More() {
		return ironcurtain.ToolCall{}, errors.New("malformed request: more than one JSON value on the line")
	}
	if r.Server == "" || r.Tool == "" {
		return ironcurtain.ToolCall{}, errors.New(`malformed request: "server" and "tool" are required`)
	}
	args, err := numbersToFloats(r.Arguments)
	if err != nil {
		return ironcurtain.ToolCall{}, err
	}
	m, _ := args.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return ironcurtain.ToolCall{ID: r.ID, Session: r.Session, Server: r.Server, Tool: r.Tool, Arguments: m}, nil
}

// numbersToFloats turns json.Number into float64, as encoding/json would
// without UseNumber, refusing numbers that do not fit.
func numbersToFloats(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("malformed request: number %s out of range", x)
		}
		return f, nil
	case map[string]any:
		for k, el := range x {
			c, err := numbersToFloats(el)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
	case []any:
		for i, el := range x {
			c, err := numbersToFloats(el)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
	}
	return v, nil
}

// evalLines decides each input line and writes one output per line, in
// order. A malformed line is denied as an invalid request and the run
// goes on. Lines are decided in parallel, one worker per CPU, each call
// against the file system as it is when that call is decided (nothing is
// cached between calls); the output keeps the input's order, and is
// flushed whenever the input has nothing more ready, so that a caller
// feeding one line at a time gets each answer at once.
func evalLines(ctx context.Context, e *policy.Engine, stdin io.Reader, stdout, stderr io.Writer, explain bool) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	// A batch is the lines that were ready together, up to maxBatch:
	// handing lines to workers in batches keeps the cost of the hand-off
	// well below that of deciding them.
	const maxBatch = 64
	type line struct {
		n       int
		text    []byte
		tooLong bool
	}
	type batch struct {
		lines []line
		out   chan []byte // the rendered output, or nil when rendering failed
	}
	jobs := make(chan *batch, 2*workers)
	order := make(chan *batch, 2*workers)
	readErr := make(chan error, 1)
	go func() { // the reader: numbers the lines and queues batches in order
		defer close(jobs)
		defer close(order)
		in := bufio.NewReaderSize(stdin, 64<<10)
		n := 1
		var b *batch
		send := func() bool {
			if b == nil {
				return true
			}
			select {
			case order <- b:
			case <-ctx.Done():
				return false
			}
			jobs <- b // workers always drain jobs while order has room
			b = nil
			return true
		}
		for {
			text, tooLong, err := readLine(in, maxRequestLine)
			if err != nil && len(text) == 0 && !tooLong {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				if send() {
					readErr <- err
				} else {
					readErr <- nil
				}
				return
			}
			if len(bytes.TrimSpace(text)) > 0 || tooLong {
				if b == nil {
					b = &batch{out: make(chan []byte, 1)}
				}
				b.lines = append(b.lines, line{n, text, tooLong})
				n++
			}
			if b != nil && (len(b.lines) == maxBatch || in.Buffered() == 0) && !send() {
				readErr <- nil
				return
			}
		}
	}()
	for range workers {
		go func() {
			for b := range jobs {
				var out []byte
				for _, l := range b.lines {
					r := decideLine(ctx, e, l.n, l.text, l.tooLong, explain)
					if r == nil {
						out = nil
						break
					}
					out = append(out, r...)
				}
				b.out <- out
			}
		}()
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	for b := range order {
		r := <-b.out
		if r == nil {
			return 1
		}
		_, err := out.Write(r)
		if err == nil && len(order) == 0 {
			err = out.Flush()
		}
		if err != nil {
			fmt.Fprintf(stderr, "ironcurtain policy: writing output: %v\n", err)
			return 1
		}
		if ctx.Err() != nil {
			return 1
		}
	}
	if err := <-readErr; err != nil {
		fmt.Fprintf(stderr, "ironcurtain policy: reading input: %v\n", err)
		return 1
	}
	return 0
}

// decideLine decides one request line and renders its output: a JSON
// result, or with explain the decision's trace for a person. It returns
// nil when the output cannot be rendered.
func decideLine(ctx context.Context, e *policy.Engine, n int, line []byte, tooLong, explain bool) []byte {
	var d ironcurtain.Decision
	var c ironcurtain.ToolCall
	perr := errors.New("malformed request: line longer than 8 MiB")
	if !tooLong {
		c, perr = parseRequest(line)
	}
	if perr != nil {
		d = ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "invalid-request", Reason: perr.Error()}
	} else if dd, err := e.Evaluate(ctx, c); err != nil {
		d = ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "evaluation-error", Reason: err.Error()}
	} else {
		d = dd
	}
	var buf bytes.Buffer
	if explain {
		if perr != nil {
			fmt.Fprintf(&buf, "line %d: denied: %s\n\n", n, perr)
			return buf.Bytes()
		}
		fmt.Fprintf(&buf, "line %d: ", n)
		if err := policy.WriteExplanation(&buf, c, d); err != nil {
			return nil
		}
		buf.WriteByte('\n')
		return buf.Bytes()
	}
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(result{Decision: d.Verdict.String(), Rule: d.Rule, Reason: d.Reason}); err != nil {
		return nil
	}
	return buf.Bytes()
}

// readLine reads one line of at most limit bytes. A longer line is
// consumed to its end and reported as tooLong.
func readLine(r *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	for {
		chunk, isPrefix, err := r.ReadLine()
		if len(line)+len(chunk) > limit {
			tooLong = true
		} else {
			line = append(line, chunk...)
		}
		if err != nil {
			return line, tooLong, err
		}
		if !isPrefix {
			if tooLong {
				line = line[:0]
			}
			return line, tooLong, nil
		}
	}
}

func lint(e *policy.Engine, drift []policy.Finding, jsonOut bool, stdout, stderr io.Writer) int {
	findings := append(e.Lint(), drift...)
	enc := json.NewEncoder(stdout)
	for _, f := range findings {
		if jsonOut {
			if err := enc.Encode(f); err != nil {
				return 1
			}
			continue
		}
		fmt.Fprintln(stdout, f)
	}
	if len(findings) > 0 {
		if !jsonOut {
			fmt.Fprintf(stderr, "%d finding(s)\n", len(findings))
		}
		return 1
	}
	return 0
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
