package policy

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/testtree"
)

// world is a fake home directory with a sandbox, documents and credentials,
// built fresh for each test.
type world struct {
	home, sandbox string
}

// newWorld creates home/{sandbox,Documents,Downloads,.ssh/id_rsa,outside}
// plus the extra entries given ("dir/", "file", "link -> target", with
// $HOME and $SB expanded in targets).
func newWorld(t testing.TB, entries ...string) world {
	t.Helper()
	home, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	w := world{home: home, sandbox: filepath.Join(home, "sandbox")}
	base := []string{"sandbox/", "sandbox/notes.txt", "Documents/", "Documents/report.txt", "Downloads/", ".ssh/", ".ssh/id_rsa", "outside/", "outside/data.txt"}
	testtree.Build(t, home, "data\n", strings.NewReplacer("$HOME", home, "$SB", w.sandbox), append(base, entries...)...)
	return w
}

func (w world) p(rel string) string { return filepath.Join(w.home, rel) }

// engine builds an engine from JSON artifacts in the world.
func (w world) engine(t testing.TB, policyJSON, annotationsJSON, listsJSON string, cfg Config) *Engine {
	t.Helper()
	var lists []byte
	if listsJSON != "" {
		lists = []byte(listsJSON)
	}
	a, err := ReadArtifacts([]byte(policyJSON), []byte(annotationsJSON), lists)
	require.NoError(t, err)
	if cfg.Home == "" {
		cfg.Home = w.home
	}
	e, err := New(a, cfg)
	require.NoError(t, err)
	return e
}

// defaultEngine is the embedded default policy in the world, with the
// sandbox set.
func (w world) defaultEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := Default(Config{Home: w.home, Sandbox: w.sandbox,
		DomainAllowlists: map[string][]string{"git": {"github.com", "*.github.com", "gitlab.com", "*.gitlab.com"}}})
	require.NoError(t, err)
	return e
}

func call(server, tool string, args ...any) ironcurtain.ToolCall {
	m := map[string]any{}
	for i := 0; i+1 < len(args); i += 2 {
		m[args[i].(string)] = args[i+1]
	}
	return ironcurtain.ToolCall{Server: server, Tool: tool, Arguments: m}
}

func decide(t testing.TB, e *Engine, c ironcurtain.ToolCall) ironcurtain.Decision {
	t.Helper()
	d, err := e.Evaluate(context.Background(), c)
	require.NoError(t, err)
	return d
}

// expect is a verdict and rule.
type expect struct {
	verdict ironcurtain.Verdict
	rule    string
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func mustJSONBytes(v any) []byte { return []byte(mustJSON(v)) }

func writeFile(p string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte("package x\n"), 0o644)
}
