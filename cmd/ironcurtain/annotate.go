package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/stack"
)

// maxAnnotationsBytes bounds the annotations file annotate reads.
const maxAnnotationsBytes = 64 << 20

// runAnnotate is the annotate command: it regenerates tool annotations for
// the tools actually served, from their schemas and without a model,
// keeping the roles of unchanged arguments (see policy.Annotate). Exit
// codes: 0 every argument has a role, 1 some have none (they are listed,
// and left out so that serve refuses the tool until a person gives them
// one), 2 bad usage or set-up.
func runAnnotate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("ironcurtain annotate", "usage: ironcurtain annotate [--annotations FILE] [--config FILE] [-o FILE]", stderr)
	from := fs.String("annotations", "", "the tool-annotations.json to start from (default: the built-in tools' annotations)")
	configFile := fs.String("config", "", "a serve configuration: annotate its servers (default: the built-in filesystem, git and fetch servers)")
	outFile := fs.String("o", "", "write the annotations here (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ironcurtain annotate: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	base := policy.DefaultAnnotations()
	if *from != "" {
		var err error
		if base, err = readAnnotations(*from); err != nil {
			fmt.Fprintf(stderr, "ironcurtain annotate: %v\n", err)
			return 2
		}
	}
	served, err := servedTools(ctx, *configFile, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain annotate: %v\n", err)
		return 2
	}
	out, rep := policy.Annotate(base, served, policy.DefaultAnnotations())
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain annotate: %v\n", err)
		return 2
	}
	b = append(b, '\n')
	if *outFile == "" {
		_, err = stdout.Write(b)
	} else {
		err = os.WriteFile(*outFile, b, 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain annotate: %v\n", err)
		return 2
	}
	for _, group := range [][]string{rep.Renamed, rep.Known, rep.Removed, rep.Unresolved} {
		for _, line := range group {
			fmt.Fprintf(stderr, "ironcurtain annotate: %s\n", line)
		}
	}
	if len(rep.Unresolved) > 0 {
		fmt.Fprintf(stderr, "ironcurtain annotate: %d argument(s) have no role; serve refuses their tools until they are given one\n", len(rep.Unresolved))
		return 1
	}
	return 0
}

// readAnnotations reads a tool-annotations.json file.
func readAnnotations(path string) (*policy.Annotations, error) {
	data, err := readCapped(path, maxAnnotationsBytes)
	if err != nil {
		return nil, err
	}
	a := new(policy.Annotations)
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(a); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: unexpected data after the JSON value", path)
	}
	return a, nil
}

// servedTools lists the tools of the servers a serve configuration names
// (trusted ones left out: they need no annotations), or of the built-in
// servers without one. Command and URL servers are started to be asked and
// closed again.
func servedTools(ctx context.Context, configFile string, stderr io.Writer) (map[string][]ironcurtain.Tool, error) {
	if configFile == "" {
		return stack.BuiltinTools(ctx, nil)
	}
	cfg, err := loadServeConfig(configFile)
	if err != nil {
		return nil, err
	}
	creds, err := serveVaultOf(cfg.Vault)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	var builtins []string
	out := map[string][]ironcurtain.Tool{}
	log := slog.New(slog.DiscardHandler)
	for _, name := range slices.Sorted(maps.Keys(cfg.Servers)) {
		s := cfg.Servers[name]
		switch {
		case slices.Contains(cfg.Trusted, name):
		case s.Builtin != "":
			builtins = append(builtins, s.Builtin)
		default:
			up, _, err := startUpstream(ctx, name, s, cfg, creds, stderr, log)
			if err != nil {
				return nil, fmt.Errorf("server %s: %w", name, err)
			}
			tools, err := up.Tools(ctx)
			if c, ok := up.(io.Closer); ok {
				c.Close()
			}
			if err != nil {
				return nil, fmt.Errorf("server %s: listing its tools: %w", name, err)
			}
			out[name] = tools
		}
	}
	if len(builtins) > 0 {
		b, err := stack.BuiltinTools(ctx, builtins)
		if err != nil {
			return nil, err
		}
		maps.Copy(out, b)
	}
	return out, nil
}

// builtinDrift is what policy lint says of the annotations of the built-in
// servers against the tools those servers serve.
func builtinDrift(ctx context.Context, e *policy.Engine, stderr io.Writer) []policy.Finding {
	served, err := stack.BuiltinTools(ctx, nil)
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain policy lint: annotations not compared with the built-in servers: %v\n", err)
		return nil
	}
	return e.LintServed(served)
}
