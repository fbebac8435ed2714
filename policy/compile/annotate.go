package compile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
)

// annotate has the model annotate the tools that have no annotations, one
// request per server, several at once.
func (c *compiler) annotate(ctx context.Context) error {
	p := c.pipe()
	servers := slices.Sorted(maps.Keys(c.opts.Tools))
	got := make([][]policy.ToolAnnotation, len(servers))
	errs := make([]error, len(servers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.limit())
	for i, s := range servers {
		var todo []ironcurtain.Tool
		for _, t := range c.opts.Tools[s] {
			if c.ix.tool(s, t.Name) == nil {
				todo = append(todo, t)
			}
		}
		if len(todo) == 0 {
			continue
		}
		g.Go(func() error {
			got[i], errs[i] = p.annotate(gctx, s, todo)
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	clone, err := cloneAnnotations(c.ann)
	if err != nil {
		return fmt.Errorf("compile: annotations: %w", err)
	}
	c.ann = clone
	for i, s := range servers {
		if errs[i] != nil {
			c.errorf(0, "", "annotating the tools of server %s: %v", s, errs[i])
			continue
		}
		if len(got[i]) == 0 {
			continue
		}
		if c.ann.Servers == nil {
			c.ann.Servers = map[string]policy.ServerAnnotations{}
		}
		sa := c.ann.Servers[s]
		sa.Tools = append(sa.Tools, got[i]...)
		c.ann.Servers[s] = sa
		c.annotated = true
	}
	c.ix = indexAnnotations(c.ann)
	return nil
}

func (p *pipeline) annotate(ctx context.Context, server string, tools []ironcurtain.Tool) ([]policy.ToolAnnotation, error) {
	p.progress("annotate", server, "%d tool(s)", len(tools))
	var b strings.Builder
	b.WriteString(header("annotate", server))
	fmt.Fprintf(&b, annotateTask, server, "- "+strings.Join(roleMeanings, "\n- "))
	b.WriteString("\n\nTools:\n")
	for _, t := range tools {
		fmt.Fprintf(&b, "- %s: %s\n  input schema: %s\n", t.Name, t.Description, compactJSON(t.InputSchema))
	}
	var out []policy.ToolAnnotation
	err := p.ask(ctx, userRequest(b.String(), 8192), func(text string) error {
		var a annotateAnswer
		if err := decodeAnswer(text, &a); err != nil {
			return err
		}
		anns, err := checkAnnotations(server, tools, a.Tools)
		if err != nil {
			return err
		}
		out = anns
		return nil
	})
	return out, err
}

func compactJSON(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// checkAnnotations checks the model's annotations of a server's tools:
// each tool once, every argument of its schema and no other, known roles
// that do not mix paths, URLs and identifiers.
func checkAnnotations(server string, tools []ironcurtain.Tool, in []annotationJSON) ([]policy.ToolAnnotation, error) {
	byName := map[string]annotationJSON{}
	for _, a := range in {
		if _, dup := byName[a.Tool]; dup {
			return nil, fmt.Errorf("tool %q is annotated twice", a.Tool)
		}
		byName[a.Tool] = a
	}
	var out []policy.ToolAnnotation
	for _, t := range tools {
		a, ok := byName[t.Name]
		if !ok {
			return nil, fmt.Errorf("tool %q is not annotated", t.Name)
		}
		delete(byName, t.Name)
		props := schemaProperties(t.InputSchema)
		for _, p := range props {
			if !slices.ContainsFunc(a.Args, func(x policy.Arg) bool { return x.Name == p }) {
				return nil, fmt.Errorf("tool %q: argument %q is not annotated", t.Name, p)
			}
		}
		for _, arg := range a.Args {
			if !slices.Contains(props, arg.Name) {
				return nil, fmt.Errorf("tool %q has no argument %q", t.Name, arg.Name)
			}
			roles := slices.Clone(arg.Spec.Default)
			for _, w := range arg.Spec.When {
				roles = append(roles, w.Roles...)
			}
			if len(roles) == 0 {
				return nil, fmt.Errorf("tool %q argument %q: no roles (use [\"none\"])", t.Name, arg.Name)
			}
			cats := map[policy.Category]bool{}
			for _, r := range roles {
				cat, ok := r.Category()
				if !ok {
					return nil, fmt.Errorf("tool %q argument %q: unknown role %q", t.Name, arg.Name, r)
				}
				if cat != policy.CategoryOpaque {
					cats[cat] = true
				}
			}
			if len(cats) > 1 {
				return nil, fmt.Errorf("tool %q argument %q mixes paths, URLs and identifiers", t.Name, arg.Name)
			}
		}
		out = append(out, policy.ToolAnnotation{ToolName: t.Name, ServerName: server, Comment: a.Comment, Args: a.Args, InputSchema: t.InputSchema})
	}
	for name := range byName {
		return nil, fmt.Errorf("the server has no tool %q", name)
	}
	return out, nil
}

// schemaProperties lists the property names of a JSON Schema object, in
// the order written.
func schemaProperties(schema json.RawMessage) []string {
	var s struct {
		Properties json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(schema, &s) != nil || len(s.Properties) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(s.Properties))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var names []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return names
		}
		name, _ := t.(string)
		names = append(names, name)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return names
		}
	}
	return names
}

// cloneAnnotations deep-copies annotations, so that the model's can be
// added without touching the caller's.
func cloneAnnotations(a *policy.Annotations) (*policy.Annotations, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	out := new(policy.Annotations)
	if err := json.Unmarshal(b, out); err != nil {
		return nil, err
	}
	return out, nil
}
