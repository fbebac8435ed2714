package git

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// repoPath is the "path" argument of every repository tool, embedded in
// its argument struct.
type repoPath struct {
	Path string `json:"path,omitempty" desc:"Repository directory. \".\" (the default) means the session's working directory set by git_set_working_dir; a relative path is resolved against it." schema:"default=."`
}

// Annotation presets.
var (
	annRead        = ironcurtain.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true}
	annIdempotent  = ironcurtain.ToolAnnotations{IdempotentHint: true}
	annDestructive = ironcurtain.ToolAnnotations{DestructiveHint: true}
	annNetwork     = ironcurtain.ToolAnnotations{OpenWorldHint: true}
	annNetDestroy  = ironcurtain.ToolAnnotations{OpenWorldHint: true, DestructiveHint: true}
)

// typedTool assembles one table entry: the input schema is derived from
// In (see toolset.Typed), and the handler's errors are turned into tool
// errors by wrap.
func typedTool[In any](name, title, desc string, ann ironcurtain.ToolAnnotations, h func(context.Context, In) (ironcurtain.Result, error)) toolset.Tool {
	t := toolset.Typed(ironcurtain.Tool{Name: name, Title: title, Description: desc, Annotations: ann}, h)
	t.Handle = wrap(handler(t.Handle))
	return t
}

// pickMode returns the handler of a multi-mode tool's mode, from a table
// that names every mode it accepts ("" included, for the default); any
// other mode is a tool error.
func pickMode[H any](mode string, handlers map[string]H) (H, error) {
	h, ok := handlers[mode]
	if !ok {
		return h, toolset.Failf("unknown mode %q", mode)
	}
	return h, nil
}

// runModeInRepo runs the handler of a's mode, from handlers as for
// pickMode, in the repository at path, once check (nil: none) accepts the
// arguments.
func runModeInRepo[A any](ctx context.Context, s *Server, path, mode string, a A, check func() error,
	handlers map[string]func(context.Context, *repo, A) (ironcurtain.Result, error)) (ironcurtain.Result, error) {
	run, err := pickMode(mode, handlers)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	if check != nil {
		if err := check(); err != nil {
			return ironcurtain.Result{}, err
		}
	}
	r, err := s.openRepo(ctx, path)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	return run(ctx, r, a)
}

// boolOrString is an argument that is either a boolean or a revision.
type boolOrString struct {
	set bool
	rev string
}

// JSONSchema describes a boolean or a string (toolset.SchemaProvider).
func (boolOrString) JSONSchema() json.RawMessage {
	return json.RawMessage(`{"anyOf":[{"type":"boolean"},{"type":"string"}]}`)
}

// UnmarshalJSON reads a boolean or a string.
func (v *boolOrString) UnmarshalJSON(b []byte) error {
	var on bool
	if err := json.Unmarshal(b, &on); err == nil {
		v.set = on
		return nil
	}
	if err := json.Unmarshal(b, &v.rev); err != nil {
		return fmt.Errorf("must be a boolean or a commit")
	}
	v.set = true
	return nil
}
