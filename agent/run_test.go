package agent_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
)

const decls = "declare const notes: {\n  /** Write a note. */\n  write(args: { path: string; text: string }): string;\n};"

// The model tries a write, is refused, changes course, and finishes; the
// model is shown the declarations, the principles, the task, and each
// result with the refusal's reason but not the rule's name.
func TestRunDenialThenChangeCourse(t *testing.T) {
	model := script(t,
		code(`return notes.write({ path: "/etc/motd", text: "hi" });`),
		code(`return notes.write({ path: "motd.txt", text: "hi" });`),
		say("Done: I wrote motd.txt in the sandbox, since /etc/motd is off limits."),
	)
	sb := &fakeSandbox{decls: decls, run: func(src string) (ironcurtain.Report, error) {
		if strings.Contains(src, "/etc/motd") {
			return denied("notes", "write", "writing outside the sandbox is not allowed")
		}
		return ironcurtain.Report{Value: []byte(`"ok"`), Output: []string{"wrote 2 bytes"},
			Calls: []ironcurtain.CallRecord{{Server: "notes", Tool: "write", Verdict: ironcurtain.Allow, Duration: time.Second}}}, nil
	}}
	var progress []int
	tr, err := agent.Run(t.Context(), agent.Config{
		Model: model, Sandbox: declaringSandbox{sb},
		Constitution: "The agent may write notes in its sandbox.",
		Task:         "Put a greeting in motd.", Session: "s1",
		OnStep: func(s agent.Step) { progress = append(progress, s.N) },
	})
	require.NoError(t, err)
	require.Equal(t, agent.StopAnswered, tr.Stop)
	require.Equal(t, "Done: I wrote motd.txt in the sandbox, since /etc/motd is off limits.", tr.Answer)
	require.Equal(t, []int{1, 2, 3}, progress)
	require.Len(t, tr.Steps, 3)
	require.Equal(t, agent.Usage{InputTokens: 30, OutputTokens: 15}, tr.Usage)
	require.Equal(t, []string{
		`return notes.write({ path: "/etc/motd", text: "hi" });`,
		`return notes.write({ path: "motd.txt", text: "hi" });`,
	}, sb.sources())
	require.Equal(t, "s1", sb.jobs[0].Session)

	s1 := tr.Steps[0]
	require.True(t, s1.Ran)
	require.Equal(t, "codemode: Error: DENIED: writing outside the sandbox is not allowed (agent.ts:1:1)", s1.Error)
	require.Equal(t, "The code failed: codemode: Error: DENIED: writing outside the sandbox is not allowed (agent.ts:1:1)\n\n"+
		"Tool calls:\n1. notes.write: refused: DENIED: writing outside the sandbox is not allowed\n\n"+
		"A refused call will be refused again. Do not repeat it or work around it: take another way, or end with an answer that says what could not be done and why.",
		s1.Feedback)
	require.NotContains(t, s1.Feedback, "secret-rule-name")
	require.Equal(t, "The code ran to the end.\n\nTool calls:\n1. notes.write: allowed\n\nConsole:\nwrote 2 bytes\n\nReturned:\n\"ok\"", tr.Steps[1].Feedback)
	require.Empty(t, tr.Steps[2].Feedback)

	reqs := model.requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		require.Equal(t, reqs[0].System, r.System, "the system prompt never changes")
		require.Equal(t, agent.DefaultMaxAnswerTokens, r.MaxTokens)
	}
	require.Contains(t, reqs[0].System, decls)
	require.Contains(t, reqs[0].System, "The agent may write notes in its sandbox.")
	last := reqs[2].Messages
	require.Len(t, last, 5)
	require.Equal(t, agent.Message{Role: agent.User, Text: "Task:\n\nPut a greeting in motd."}, last[0])
	for i, m := range last {
		want := agent.User
		if i%2 == 1 {
			want = agent.Assistant
		}
		require.Equal(t, want, m.Role, "message %d", i)
	}
	require.Equal(t, s1.Feedback, last[2].Text)
	require.Equal(t, tr.Steps[1].Feedback, last[4].Text)
}

// The system prompt is stable: a golden file shows it whole.
func TestSystemPrompt(t *testing.T) {
	model := script(t, say("Nothing to do."))
	_, err := agent.Run(t.Context(), agent.Config{Model: model, Sandbox: &fakeSandbox{}, Declarations: decls,
		Constitution: "- The agent may read files in ~/Documents.\n- The agent must ask before pushing.", Task: "x"})
	require.NoError(t, err)
	golden(t, "system-prompt.golden", model.requests()[0].System)

	// Without tools or principles, the prompt says there are no tools and
	// has no principles section.
	model = script(t, say("ok"))
	_, err = agent.Run(t.Context(), agent.Config{Model: model, Sandbox: &fakeSandbox{}, Task: "x"})
	require.NoError(t, err)
	sys := model.requests()[0].System
	require.Contains(t, sys, "No tools are available")
	require.NotContains(t, sys, "# Principles")
}

// Config.Declarations wins over the Sandbox's own.
func TestRunDeclarationsOverride(t *testing.T) {
	model := script(t, say("ok"))
	_, err := agent.Run(t.Context(), agent.Config{Model: model, Sandbox: declaringSandbox{&fakeSandbox{decls: "declare const a: {};"}},
		Declarations: "declare const b: {};", Task: "x"})
	require.NoError(t, err)
	require.Contains(t, model.requests()[0].System, "declare const b")
	require.NotContains(t, model.requests()[0].System, "declare const a")
}

func TestRunStops(t *testing.T) {
	loopy := func() []agent.Response {
		var out []agent.Response
		for range 10 {
			out = append(out, code("return 1;"))
		}
		return out
	}
	expensive := code("return 1;")
	expensive.Usage = agent.Usage{InputTokens: 600, OutputTokens: 10}
	cases := []struct {
		name    string
		replies []agent.Response
		cfg     func(*agent.Config)
		run     func(string) (ironcurtain.Report, error)
		stop    agent.Stop
		steps   int
		ran     int
		answer  string
		feedbk  []string // substrings of the feedback of the steps, in order
	}{
		{name: "max steps", replies: []agent.Response{code("return 1;"), code("return 2;"), code("return 3;")},
			cfg: func(c *agent.Config) { c.Budget.MaxSteps = 3 }, stop: agent.StopMaxSteps, steps: 3, ran: 3},
		{name: "max tokens: spent over two steps", replies: []agent.Response{expensive, expensive},
			cfg: func(c *agent.Config) { c.Budget.MaxTokens = 1200 }, stop: agent.StopMaxTokens, steps: 2, ran: 1},
		{name: "max tokens: the code of a step over budget does not run", replies: []agent.Response{expensive},
			cfg: func(c *agent.Config) { c.Budget.MaxTokens = 100 }, stop: agent.StopMaxTokens, steps: 1, ran: 0},
		{name: "max tokens: a final answer over budget stands", replies: []agent.Response{{Text: "all done", Finish: agent.FinishEnd, Usage: agent.Usage{InputTokens: 500}}},
			cfg: func(c *agent.Config) { c.Budget.MaxTokens = 100 }, stop: agent.StopAnswered, steps: 1, answer: "all done"},
		{name: "max cost: spent over two steps", replies: []agent.Response{expensive, expensive},
			cfg: func(c *agent.Config) {
				c.Price, c.Budget.MaxCost = &agent.Price{InputPerMTok: 1000, OutputPerMTok: 1000}, 1.2
			},
			stop: agent.StopMaxCost, steps: 2, ran: 1},
		{name: "max cost: reached exactly stops before the next call", replies: []agent.Response{expensive, expensive},
			cfg: func(c *agent.Config) {
				c.Price, c.Budget.MaxCost = &agent.Price{InputPerMTok: 1000, OutputPerMTok: 1000}, 0.61
			},
			stop: agent.StopMaxCost, steps: 1, ran: 1},
		{name: "max cost: the code of a step over budget does not run", replies: []agent.Response{expensive},
			cfg:  func(c *agent.Config) { c.Price, c.Budget.MaxCost = &agent.Price{OutputPerMTok: 200_000}, 1 },
			stop: agent.StopMaxCost, steps: 1, ran: 0},
		{name: "max cost: a free model never reaches it", replies: []agent.Response{expensive, say("done")},
			cfg:  func(c *agent.Config) { c.Price, c.Budget.MaxCost = &agent.Price{}, 0.01 },
			stop: agent.StopAnswered, steps: 2, ran: 1, answer: "done"},
		{name: "loop: same code, same result", replies: loopy(), stop: agent.StopLoop, steps: 3, ran: 3,
			feedbk: []string{"Returned: nothing.", "1 more time and the run is stopped"}},
		{name: "loop: four repeats allowed", replies: loopy(), cfg: func(c *agent.Config) { c.MaxRepeats = 4 },
			stop: agent.StopLoop, steps: 4, ran: 4, feedbk: []string{"", "2 more times", "1 more time"}},
		{name: "no loop when the result changes", replies: []agent.Response{code("return 1;"), code("return 1;"), code("return 1;"), say("fine")},
			run: counter(), stop: agent.StopAnswered, steps: 4, ran: 3, answer: "fine"},
		{name: "refusal", replies: []agent.Response{{Text: "I can't help with that.", Finish: agent.FinishRefusal}},
			stop: agent.StopRefused, steps: 1, answer: "I can't help with that."},
		{name: "code cut off at the length limit does not run",
			replies: []agent.Response{{Text: "```ts\nconst x = 1;\nfor (", Finish: agent.FinishLength}, say("gave up")},
			stop:    agent.StopAnswered, steps: 2, ran: 0, answer: "gave up", feedbk: []string{"cut off before its closing fence"}},
		{name: "prose cut off at the length limit is not an answer",
			replies: []agent.Response{{Text: "Here is a very long", Finish: agent.FinishLength}, say("short")},
			stop:    agent.StopAnswered, steps: 2, answer: "short", feedbk: []string{"cut off at the length limit"}},
		{name: "an unclosed block that ended normally runs",
			replies: []agent.Response{say("```ts\nreturn 7;"), say("seven")}, stop: agent.StopAnswered, steps: 2, ran: 1, answer: "seven"},
		{name: "only the first block runs",
			replies: []agent.Response{say("```ts\nreturn 1;\n```\nand\n```ts\nreturn 2;\n```\n```js\nreturn 3;\n```"), say("ok")},
			stop:    agent.StopAnswered, steps: 2, ran: 1, answer: "ok", feedbk: []string{"the other 2 were ignored"}},
		{name: "other fences are prose", replies: []agent.Response{say("Result:\n```json\n{\"a\":1}\n```")},
			stop: agent.StopAnswered, steps: 1, answer: "Result:\n```json\n{\"a\":1}\n```"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sb := &fakeSandbox{run: tc.run}
			cfg := agent.Config{Model: script(t, tc.replies...), Sandbox: sb, Task: "t"}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			tr, err := agent.Run(t.Context(), cfg)
			require.NoError(t, err)
			require.Equal(t, tc.stop, tr.Stop, tr.Detail)
			require.NotEmpty(t, tr.Detail)
			require.Len(t, tr.Steps, tc.steps)
			require.Len(t, sb.sources(), tc.ran)
			require.Equal(t, tc.answer, tr.Answer)
			for i, want := range tc.feedbk {
				require.Contains(t, tr.Steps[i].Feedback, want, "step %d", i+1)
			}
		})
	}
}

// counter is a sandbox run whose result changes every time.
func counter() func(string) (ironcurtain.Report, error) {
	n := 0
	return func(string) (ironcurtain.Report, error) {
		n++
		return ironcurtain.Report{Value: []byte{byte('0' + n)}}, nil
	}
}

// A wall-time budget ends a run whose model is slow, without an error.
func TestRunMaxDuration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := agent.ModelFunc(func(ctx context.Context, _ agent.Request) (agent.Response, error) {
			select {
			case <-ctx.Done():
				return agent.Response{}, ctx.Err()
			case <-time.After(time.Hour):
				return say("late"), nil
			}
		})
		tr, err := agent.Run(context.Background(), agent.Config{Model: slow, Sandbox: &fakeSandbox{}, Task: "t",
			Budget: agent.Budget{MaxDuration: time.Minute}})
		require.NoError(t, err)
		require.Equal(t, agent.StopMaxDuration, tr.Stop)
		require.Equal(t, time.Minute, tr.Duration)
	})
}

// The time budget also ends a run while code is running.
func TestRunMaxDurationInSandbox(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sb := sandboxFunc(func(ctx context.Context, _ ironcurtain.Job) (ironcurtain.Report, error) {
			<-ctx.Done()
			return ironcurtain.Report{}, context.Cause(ctx)
		})
		tr, err := agent.Run(context.Background(), agent.Config{Model: script(t, code("while(true){}")), Sandbox: sb, Task: "t",
			Budget: agent.Budget{MaxDuration: time.Minute}})
		require.NoError(t, err)
		require.Equal(t, agent.StopMaxDuration, tr.Stop)
		require.Len(t, tr.Steps, 1)
		require.True(t, tr.Steps[0].Ran)
	})
}

type sandboxFunc func(ctx context.Context, job ironcurtain.Job) (ironcurtain.Report, error)

func (f sandboxFunc) Run(ctx context.Context, job ironcurtain.Job) (ironcurtain.Report, error) {
	return f(ctx, job)
}

func TestRunErrors(t *testing.T) {
	boom := errors.New("boom")
	t.Run("model error", func(t *testing.T) {
		calls := 0
		m := agent.ModelFunc(func(context.Context, agent.Request) (agent.Response, error) {
			calls++
			if calls == 1 {
				return code("return 1;"), nil
			}
			return agent.Response{}, boom
		})
		tr, err := agent.Run(t.Context(), agent.Config{Model: m, Sandbox: &fakeSandbox{}, Task: "t"})
		require.ErrorIs(t, err, boom)
		require.ErrorContains(t, err, "step 2")
		require.Equal(t, agent.StopError, tr.Stop)
		require.Len(t, tr.Steps, 1, "the transcript keeps what was done")
	})
	t.Run("caller's ctx ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		sb := sandboxFunc(func(context.Context, ironcurtain.Job) (ironcurtain.Report, error) {
			cancel()
			return ironcurtain.Report{}, context.Canceled
		})
		tr, err := agent.Run(ctx, agent.Config{Model: script(t, code("return 1;")), Sandbox: sb, Task: "t"})
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, agent.StopError, tr.Stop)
		require.Len(t, tr.Steps, 1)
	})
	t.Run("closed sandbox", func(t *testing.T) {
		sb := sandboxFunc(func(context.Context, ironcurtain.Job) (ironcurtain.Report, error) {
			return ironcurtain.Report{}, ironcurtain.ErrClosed
		})
		_, err := agent.Run(t.Context(), agent.Config{Model: script(t, code("return 1;")), Sandbox: sb, Task: "t"})
		require.ErrorIs(t, err, ironcurtain.ErrClosed)
	})
	t.Run("declarations fail", func(t *testing.T) {
		_, err := agent.Run(t.Context(), agent.Config{Model: script(t), Sandbox: failingDeclarer{&fakeSandbox{}}, Task: "t"})
		require.ErrorIs(t, err, errNoTools)
	})
	t.Run("other sandbox errors go to the model", func(t *testing.T) {
		sb := sandboxFunc(func(context.Context, ironcurtain.Job) (ironcurtain.Report, error) {
			return ironcurtain.Report{Output: []string{"partial"}}, ironcurtain.ErrLimit
		})
		tr, err := agent.Run(t.Context(), agent.Config{Model: script(t, code("x"), say("ok")), Sandbox: sb, Task: "t"})
		require.NoError(t, err)
		require.Equal(t, "The code failed: ironcurtain: limit exceeded\n\nConsole:\npartial", tr.Steps[0].Feedback)
	})
}

var errNoTools = errors.New("no tools")

type failingDeclarer struct{ *fakeSandbox }

func (failingDeclarer) Declarations(context.Context) (string, error) { return "", errNoTools }

func TestConfigValidation(t *testing.T) {
	ok := agent.Config{Model: script(t), Sandbox: &fakeSandbox{}, Task: "t"}
	cases := []struct {
		name string
		edit func(*agent.Config)
		want string
	}{
		{"no model", func(c *agent.Config) { c.Model = nil }, "Model is required"},
		{"no sandbox", func(c *agent.Config) { c.Sandbox = nil }, "Sandbox is required"},
		{"no task", func(c *agent.Config) { c.Task = " \n" }, "Task is required"},
		{"negative steps", func(c *agent.Config) { c.Budget.MaxSteps = -1 }, "negative"},
		{"negative tokens", func(c *agent.Config) { c.Budget.MaxTokens = -1 }, "negative"},
		{"negative duration", func(c *agent.Config) { c.Budget.MaxDuration = -1 }, "negative"},
		{"negative result bytes", func(c *agent.Config) { c.MaxResultBytes = -1 }, "negative"},
		{"one repeat", func(c *agent.Config) { c.MaxRepeats = 1 }, "at least 2"},
		{"cost budget, unknown price", func(c *agent.Config) { c.Budget.MaxCost = 1 }, "needs the model's price"},
		{"negative cost", func(c *agent.Config) { c.Price, c.Budget.MaxCost = &agent.Price{}, -1 }, "not negative"},
		{"NaN cost", func(c *agent.Config) { c.Price, c.Budget.MaxCost = &agent.Price{}, math.NaN() }, "not negative"},
		{"negative price", func(c *agent.Config) { c.Price = &agent.Price{InputPerMTok: -1} }, "not negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			tr, err := agent.Run(t.Context(), c)
			require.ErrorContains(t, err, tc.want)
			require.Equal(t, agent.StopError, tr.Stop)
		})
	}
}

// What the model is shown of a large result is clipped in the middle.
func TestRunClipsResults(t *testing.T) {
	big := `"` + strings.Repeat("a", 5000) + strings.Repeat("z", 5000) + `"`
	sb := &fakeSandbox{run: func(string) (ironcurtain.Report, error) {
		return ironcurtain.Report{Value: []byte(big)}, nil
	}}
	tr, err := agent.Run(t.Context(), agent.Config{Model: script(t, code("x"), say("ok")), Sandbox: sb, Task: "t", MaxResultBytes: 1000})
	require.NoError(t, err)
	fb := tr.Steps[0].Feedback
	require.LessOrEqual(t, len(fb), 1100)
	require.Contains(t, fb, "Returned:\n\"aaa")
	require.Contains(t, fb, "bytes left out ...]")
	require.True(t, strings.HasSuffix(fb, "zzz\""))
}

// overviewSandbox declares its tools at length and also has an overview.
type overviewSandbox struct{ declaringSandbox }

func (overviewSandbox) Overview(context.Context) (string, error) { return "// tools: a.x", nil }

// Declarations longer than MaxDeclarationBytes give way to the Sandbox's
// overview; shorter ones stay whole.
func TestRunOverviewForManyTools(t *testing.T) {
	long := "declare const a: { x(): string };\n" + strings.Repeat("// padding\n", 100)
	for _, tc := range []struct {
		max      int
		overview bool
	}{{0, false}, {len(long), false}, {len(long) - 1, true}, {-1, true}} {
		model := script(t, say("ok"))
		sb := overviewSandbox{declaringSandbox{&fakeSandbox{decls: long}}}
		_, err := agent.Run(t.Context(), agent.Config{Model: model, Sandbox: sb, MaxDeclarationBytes: tc.max, Task: "x"})
		require.NoError(t, err)
		sys := model.requests()[0].System
		require.Equal(t, tc.overview, strings.Contains(sys, "// tools: a.x"), "max %d", tc.max)
		require.Equal(t, !tc.overview, strings.Contains(sys, "padding"), "max %d", tc.max)
	}
}

// The transcript prices what was spent, or says the price is unknown.
func TestRunCost(t *testing.T) {
	cfg := agent.Config{Model: script(t, say("done")), Sandbox: &fakeSandbox{}, Task: "t"}
	tr, err := agent.Run(t.Context(), cfg)
	require.NoError(t, err)
	require.Equal(t, -1.0, tr.Cost, "no price, unknown cost")

	cfg.Model, cfg.Price = script(t, say("done")), &agent.Price{InputPerMTok: 3, OutputPerMTok: 15}
	tr, err = agent.Run(t.Context(), cfg)
	require.NoError(t, err)
	require.InDelta(t, (10*3.0+5*15.0)/1e6, tr.Cost, 1e-12)
}
