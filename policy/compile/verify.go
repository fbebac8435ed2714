package compile

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ironcurtain-go/ironcurtain/policy"
)

// ScenarioEnv is a fresh, empty home directory and sandbox for replaying
// scenarios, neither inside the other, under one new temporary directory.
type ScenarioEnv struct {
	Home, Sandbox string
	root          string
}

// NewScenarioEnv makes a ScenarioEnv; Close removes it.
func NewScenarioEnv() (*ScenarioEnv, error) {
	root, err := os.MkdirTemp("", "ironcurtain-scenarios-")
	if err != nil {
		return nil, err
	}
	env := &ScenarioEnv{root: root}
	if env.root, err = filepath.EvalSymlinks(root); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	env.Home, env.Sandbox = filepath.Join(env.root, "home"), filepath.Join(env.root, "sandbox")
	for _, d := range []string{env.Home, env.Sandbox} {
		if err := os.Mkdir(d, 0o700); err != nil {
			os.RemoveAll(env.root)
			return nil, err
		}
	}
	return env, nil
}

// Config is the engine configuration the scenarios are replayed under.
func (e *ScenarioEnv) Config() policy.Config {
	return policy.Config{Home: e.Home, Sandbox: e.Sandbox}
}

// Close removes the directories.
func (e *ScenarioEnv) Close() error { return os.RemoveAll(e.root) }

func (c *compiler) environment() (*ScenarioEnv, error) {
	c.envOnce.Do(func() {
		c.env, c.envErr = NewScenarioEnv()
	})
	return c.env, c.envErr
}

func (c *compiler) cleanup() {
	if c.env != nil {
		c.env.Close()
	}
}

// verify replays scenarios on the real engine built from the artifacts.
func (c *compiler) verify(ctx context.Context, pol *policy.CompiledPolicy, lists *policy.Lists, scens []Scenario) ([]Outcome, error) {
	env, err := c.environment()
	if err != nil {
		return nil, fmt.Errorf("compile: making a scenario home: %w", err)
	}
	e, err := policy.New(policy.Artifacts{Policy: pol, Annotations: c.ann, Lists: lists}, env.Config())
	if err != nil {
		return nil, err // a *policy.LoadError
	}
	outs, err := Replay(ctx, e, scens)
	// A constitution is accepted on what its rules decide, not on which
	// rule decides: where /bin is a link into /usr, "never write in /etc,
	// /usr or /bin" denies /bin by the /usr rule, and means the same.
	for i := range outs {
		if o := &outs[i]; o.Scenario.Source == "sentence" {
			o.Pass = o.Decision.Verdict == o.Scenario.Expect
		}
	}
	return outs, err
}
