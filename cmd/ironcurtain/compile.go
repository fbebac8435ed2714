package main

// ironcurtain compile: a constitution in, policy artifacts out.
//
//	ironcurtain compile CONSTITUTION.md -o DIR [--model provider:MODEL] [flags]
//
// Sentences of the controlled English compile offline; with --model the
// rest go to the model — anthropic:MODEL with ANTHROPIC_API_KEY, or
// openai:MODEL for any OpenAI-compatible server with OPENAI_API_KEY and/or
// OPENAI_BASE_URL; --base-url replaces the address — whose stages are shown
// on stderr. --strict fails when the compiler warns that a rule cannot do
// exactly what its sentence says; -v also prints the notes on how each
// sentence was read. The report names each sentence with its rules.
// Exit codes: 0 compiled and written, 1 the constitution does not compile
// (diagnostics and report on stderr), 2 bad usage or unreadable input.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain/agent/models"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

// maxConstitution bounds the constitution read.
const maxConstitution = 8 << 20

func runCompile(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("ironcurtain compile", "usage: ironcurtain compile CONSTITUTION.md -o DIR [flags]   (CONSTITUTION.md may be - for stdin)", stderr)
	out := fs.String("o", "", "the directory to write the artifacts into (required)")
	model := fs.String("model", "", "the model for sentences outside the controlled English, as anthropic:MODEL-ID or openai:MODEL-ID (default: none, offline)")
	annotations := fs.String("annotations", "", "tool-annotations.json (default: the built-in tools)")
	lists := fs.String("lists", "", "dynamic-lists.json with known list values, added to the default policy's")
	tools := fs.String("tools", "", `JSON {"server": [MCP tool definitions]} of tools without annotations, for the model to annotate`)
	cache := fs.String("cache", "", `the model's answer cache (default: the user cache directory; "none" for no cache)`)
	baseURL := fs.String("base-url", "", "the model API's address (default: the provider's, or ANTHROPIC_BASE_URL / OPENAI_BASE_URL)")
	skip := fs.Bool("skip-unparsed", false, "without a model, warn about sentences outside the controlled English and leave them out (they are NOT enforced)")
	concurrency := fs.Int("concurrency", 4, "servers compiled by the model at once")
	repairs := fs.Int("max-repairs", 3, "repair rounds per server")
	reproducible := fs.Bool("reproducible", false, "record no compile time, so that the artifacts are byte-identical across runs")
	strict := fs.Bool("strict", false, "fail when the compiler warns: a rule that cannot do exactly what its sentence says")
	verbose := fs.Bool("v", false, "also print notes: how each sentence was read, and the prose read as commentary")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return parseExit(err)
	}
	if len(pos) != 1 || *out == "" {
		fs.Usage()
		return 2
	}
	fail := failer(stderr, "ironcurtain compile")
	src, err := readInput(pos[0], stdin)
	if err != nil {
		return fail("%v", err)
	}
	opts := compile.Options{SkipUnparsed: *skip, Concurrency: *concurrency, MaxRepairs: *repairs, CheckPaths: true}
	if *annotations != "" {
		opts.Annotations = new(policy.Annotations)
		if err := readJSONFile(*annotations, opts.Annotations); err != nil {
			return fail("%v", err)
		}
	}
	opts.Lists = policy.DefaultArtifacts().Lists
	if *lists != "" {
		var l policy.Lists
		if err := readJSONFile(*lists, &l); err != nil {
			return fail("%v", err)
		}
		for name, v := range l.Lists {
			opts.Lists.Lists[name] = v
		}
	}
	if *tools != "" {
		if err := readJSONFile(*tools, &opts.Tools); err != nil {
			return fail("%v", err)
		}
	}
	if *model != "" {
		m, err := newModel(*model, *baseURL)
		if err != nil {
			return fail("%v", err)
		}
		opts.Model = m
		opts.Progress = func(e compile.Event) {
			who := e.Server
			if who == "" {
				who = "lists"
			}
			fmt.Fprintf(stderr, "compile: [%6.1fs] %-9s %s %s\n", e.Elapsed.Seconds(), e.Stage, who, e.Message)
		}
		switch *cache {
		case "none":
		case "":
			if dir, err := os.UserCacheDir(); err == nil {
				opts.CacheDir = filepath.Join(dir, "ironcurtain", "compile")
			}
		default:
			opts.CacheDir = *cache
		}
	}
	if !*reproducible {
		opts.Time = compileTime()
	}
	res, err := compile.Compile(ctx, src, opts)
	warnings := 0
	for _, d := range res.Diagnostics {
		if d.Severity == compile.Warning {
			warnings++
		}
		if d.Severity != compile.Note || *verbose {
			fmt.Fprintf(stderr, "%s: %s\n", pos[0], d)
		}
	}
	var ce *compile.CompileError
	switch {
	case err == nil && *strict && warnings > 0:
		fmt.Fprintf(stderr, "ironcurtain compile: %s has %d warning(s) and --strict is set; nothing was written\n", pos[0], warnings)
		return 1
	case errors.As(err, &ce):
		res.Report.Write(stderr)
		fmt.Fprintf(stderr, "ironcurtain compile: %s does not compile; nothing was written\n", pos[0])
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "ironcurtain compile: %v\n", err)
		return 1
	}
	if err := compile.WriteArtifacts(*out, res); err != nil {
		fmt.Fprintf(stderr, "ironcurtain compile: writing %s: %v\n", *out, err)
		return 1
	}
	res.Report.Write(stdout)
	fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(*out, compile.PolicyFile))
	return 0
}

// newModel opens the model named "provider:model" ("anthropic:...", or
// "openai:..." for any OpenAI-compatible server), with the provider's own
// environment variables (ANTHROPIC_API_KEY, OPENAI_API_KEY and
// OPENAI_BASE_URL); baseURL, when set, replaces the provider's address. A
// name without a provider means Anthropic.
func newModel(name, baseURL string) (compile.Model, error) {
	if !strings.Contains(name, ":") {
		name = "anthropic:" + name
	}
	opts, err := models.EnvOptions(name, os.Getenv)
	if baseURL != "" {
		opts.BaseURL, err = baseURL, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--model %q: %w", name, err)
	}
	m, err := models.Open(name, opts)
	if err != nil {
		return nil, fmt.Errorf("--model %q: %w", name, err)
	}
	return compile.FromAgent(m)
}

// compileTime is now, or SOURCE_DATE_EPOCH when set, as reproducible
// builds expect.
func compileTime() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0)
		}
	}
	return time.Now()
}

// parseInterspersed parses flags that may come before or after the
// positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func readInput(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxConstitution+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxConstitution {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxConstitution)
	}
	return b, nil
}

func readJSONFile(name string, v any) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	return nil
}
