package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/ironcurtain-go/ironcurtain/agent"
	"github.com/ironcurtain-go/ironcurtain/audit"
	"github.com/ironcurtain-go/ironcurtain/internal/llmtest"
)

// runEnv is one run's directories and its scripted model server.
type runEnv struct {
	dir, sandbox, auditLog, outside string
	srv                             *llmtest.Server
}

func newRunEnv(t *testing.T, h llmtest.Handler) *runEnv {
	t.Helper()
	dir := t.TempDir()
	e := &runEnv{dir: dir, sandbox: filepath.Join(dir, "sandbox"), auditLog: filepath.Join(dir, "state", "audit.jsonl"),
		outside: filepath.Join(dir, "outside")}
	require.NoError(t, os.MkdirAll(filepath.Dir(e.auditLog), 0o700))
	require.NoError(t, os.MkdirAll(e.outside, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(e.outside, "secret.txt"), []byte("not for the agent"), 0o600))
	e.srv = llmtest.NewOpenAI(t, h)
	return e
}

// args are the flags that point a run at the env, then extra, then the
// task.
func (e *runEnv) args(task string, extra ...string) []string {
	a := []string{"run", "--sandbox", e.sandbox, "--audit", e.auditLog, "--model", "openai:test-model",
		"--base-url", e.srv.URL + "/v1", "--approver", "none", "--unjailed-git"}
	return append(append(a, extra...), task)
}

func say(text string, in, out int) llmtest.Reply {
	return llmtest.Reply{Text: text, InputTokens: in, OutputTokens: out}
}

// readSecret is a step that reads secret.txt in outside, beyond the
// sandbox: an escalated call.
func readSecret(outside string) string {
	return llmtest.Code(`return filesystem.read_text_file({ path: "` + outside + `/secret.txt" });`)
}

// firstThen is a model script for the agent's steps: the first replies
// first() (called then, so it may read what the test sets up after the
// script is made), every later one later. It is safe for concurrent use.
func firstThen(first func() llmtest.Reply, later llmtest.Reply) llmtest.Handler {
	var mu sync.Mutex
	steps := 0
	return func(int, llmtest.Request) llmtest.Reply {
		mu.Lock()
		defer mu.Unlock()
		steps++
		if steps == 1 {
			return first()
		}
		return later
	}
}

// threeCalls is a step that writes a file, reads it back, reaches for a
// protected path (denied) and reads a file outside the sandbox
// (escalated).
func threeCalls(outside string) string {
	return llmtest.Code(`filesystem.write_file({ path: "notes.txt", content: "hello from the agent" });
const text = filesystem.read_text_file({ path: "notes.txt" });
let refused = [];
try { filesystem.read_text_file({ path: "~/.ssh/id_rsa" }); } catch (e) { refused.push((e as Error).message); }
try { filesystem.read_text_file({ path: "` + outside + `/secret.txt" }); } catch (e) { refused.push((e as Error).message); }
return { text, refused };`)
}

const runTask = "Write a note to notes.txt and read it back."

// TestRun runs a task end to end against a scripted OpenAI-compatible
// server on loopback, as a new user would with Ollama: the progress, the
// summary, the audit log.
func TestRun(t *testing.T) {
	var e *runEnv
	e = newRunEnv(t, func(n int, r llmtest.Request) llmtest.Reply {
		switch n {
		case 0:
			return say(threeCalls(e.outside), 1000, 50)
		case 1:
			return say("I wrote notes.txt and read it back; ~/.ssh was off limits.", 1200, 20)
		}
		return llmtest.Reply{Status: 500, Text: "no more"}
	})
	code, stdout, stderr := runCLI(t, "", e.args(runTask)...)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	for _, want := range []string{
		"Task: " + runTask,
		"Model: openai:test-model at " + e.srv.URL + "/v1",
		"step 1: the model answered (1000 tokens in, 50 out); so far 1050 tokens, cost unknown",
		"  allow    filesystem/write_file  structural-sandbox-allow\n",
		"  allow    filesystem/read_text_file  structural-sandbox-allow\n",
		"  deny     filesystem/read_text_file  structural-protected-path: ",
		"  escalate filesystem/read_text_file  escalate-read-outside-sandbox: Reading files outside the sandbox needs the user's approval.",
		"  the code ran 4 tool calls\n",
		"step 2: the model answered (1200 tokens in, 20 out); so far 2270 tokens",
		"The model's answer:\n  I wrote notes.txt and read it back; ~/.ssh was off limits.",
		"stopped: answered (the model gave its final answer)",
		"2 steps, 2270 tokens (2200 in, 70 out), cost unknown",
		"tool calls: 2 allowed, 1 denied, 1 escalated (0 approved)",
		"sandbox: 1 added, 0 changed, 0 removed\n    + notes.txt\n",
		"audit log: " + e.auditLog + " (sealed;",
	} {
		require.Contains(t, stdout, want)
	}
	got, err := os.ReadFile(filepath.Join(e.sandbox, "notes.txt"))
	require.NoError(t, err)
	require.Equal(t, "hello from the agent", string(got))

	// The model was told what came of its code, the denial's reason too.
	reqs := e.srv.Requests()
	require.Len(t, reqs, 2)
	require.Contains(t, reqs[0].System, "filesystem", "the tools are declared")
	require.Equal(t, "Task:\n\n"+runTask, reqs[0].Messages[0].Text)
	require.Contains(t, reqs[1].Last(), "hello from the agent")
	require.Contains(t, reqs[1].Last(), "DENIED")

	// The audit log holds every call and is sealed.
	f, err := os.Open(e.auditLog)
	require.NoError(t, err)
	defer f.Close()
	rep, err := audit.Verify(f)
	require.NoError(t, err)
	require.True(t, rep.Sealed)
	calls, sealed, err := readRunAudit(e.auditLog)
	require.NoError(t, err)
	require.True(t, sealed)
	require.Equal(t, runCalls{Allowed: 2, Denied: 1, Escalated: 1}, calls)
}

// decodeEvents parses a --json stream: every line one object with a type.
func decodeEvents(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(stdout), "\n") {
		var ev map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &ev), line)
		require.NotEmpty(t, ev["type"], line)
		out = append(out, ev)
	}
	return out
}

func eventTypes(evs []map[string]any) []string {
	var types []string
	for _, ev := range evs {
		types = append(types, ev["type"].(string))
	}
	return types
}

// TestRunJSON: --json writes the same run as an event stream.
func TestRunJSON(t *testing.T) {
	var e *runEnv
	e = newRunEnv(t, func(n int, r llmtest.Request) llmtest.Reply {
		if n == 0 {
			return say(threeCalls(e.outside), 1000, 50)
		}
		return say("Done.", 1200, 20)
	})
	code, stdout, stderr := runCLI(t, "", e.args(runTask, "--json", "--price-in", "3", "--price-out", "15")...)
	require.Equal(t, 0, code, stderr)
	evs := decodeEvents(t, stdout)
	require.Equal(t, []string{"start", "step", "call", "call", "call", "call", "result", "step", "answer", "summary"}, eventTypes(evs))

	start := evs[0]
	require.Equal(t, runTask, start["task"])
	require.Equal(t, e.sandbox, start["sandbox"])
	require.Equal(t, e.auditLog, start["audit"])
	require.Equal(t, map[string]any{"in_per_mtok": 3.0, "out_per_mtok": 15.0}, start["price"])

	step := evs[1]
	require.Equal(t, 1.0, step["step"])
	require.Equal(t, 1050.0, step["tokens"])
	require.InDelta(t, (1000*3+50*15)/1e6, step["cost"], 1e-12)

	deny := evs[4]
	require.Equal(t, "deny", deny["decision"])
	require.Equal(t, "structural-protected-path", deny["rule"])
	require.Equal(t, 1.0, deny["step"])
	require.ElementsMatch(t, []string{"type", "step", "server", "tool", "decision", "rule", "reason", "error", "duration_ms"}, slices.Collect(maps.Keys(deny)))
	esc := evs[5]
	require.Equal(t, "escalate", esc["decision"])
	require.Equal(t, "escalate-read-outside-sandbox", esc["rule"])
	require.Equal(t, map[string]any{"type": "result", "step": 1.0, "ran": true, "calls": 4.0}, evs[6])
	require.Equal(t, "Done.", evs[8]["text"])

	sum := evs[9]
	require.Equal(t, "answered", sum["stop"])
	require.Equal(t, 2.0, sum["steps"])
	require.Equal(t, 2200.0, sum["tokens_in"])
	require.Equal(t, 70.0, sum["tokens_out"])
	require.InDelta(t, (2200*3+70*15)/1e6, sum["cost"], 1e-12)
	require.Equal(t, map[string]any{"allowed": 2.0, "denied": 1.0, "escalated": 1.0, "approved": 0.0}, sum["calls"])
	require.Equal(t, map[string]any{"added": []any{"notes.txt"}, "changed": []any{}, "removed": []any{}}, sum["changes"])
	require.Equal(t, e.auditLog, sum["audit"])
	require.Equal(t, true, sum["sealed"])
}

// TestRunAutoApprove: with --auto-approve, the model approves the
// escalated read the task asks for, and the summary counts it.
func TestRunAutoApprove(t *testing.T) {
	var e *runEnv
	steps := firstThen(func() llmtest.Reply { return say(readSecret(e.outside), 1000, 50) }, say("It says: not for the agent.", 1000, 10))
	e = newRunEnv(t, func(n int, r llmtest.Request) llmtest.Reply {
		if strings.Contains(r.Last(), e.outside) && !strings.HasPrefix(r.Messages[0].Text, "Task:") {
			return say(`{"decision":"approve","reasoning":"the task asks to read this file"}`, 100, 10)
		}
		return steps(n, r)
	})
	task := "Read " + e.outside + "/secret.txt and tell me what it says."
	code, stdout, stderr := runCLI(t, "", e.args(task, "--auto-approve")...)
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	require.Contains(t, stdout, "escalation of filesystem/read_text_file (escalate-read-outside-sandbox): approve by auto:openai:test-model")
	require.Contains(t, stdout, "tool calls: 1 allowed, 0 denied, 1 escalated (1 approved)")
	require.Contains(t, stdout, "the auto-approver: 110 tokens")
	require.Contains(t, e.srv.Requests()[2].Last(), "not for the agent", "the approved read ran")
}

// TestRunBudgets: each budget stops the run with a clear message and exit
// code 1; the audit log is sealed all the same.
func TestRunBudgets(t *testing.T) {
	step := func(i int) string {
		return llmtest.Code(`filesystem.write_file({ path: "f` + string(rune('a'+i)) + `.txt", content: "x" }); return 1;`)
	}
	cases := []struct {
		name  string
		args  []string
		reply func(n int) llmtest.Reply
		stop  string
		want  string
	}{
		{name: "steps", args: []string{"--max-steps", "2"}, reply: func(n int) llmtest.Reply { return say(step(n), 10, 10) },
			stop: "max-steps", want: "the model took 2 steps without a final answer"},
		{name: "tokens", args: []string{"--max-tokens", "2500"}, reply: func(n int) llmtest.Reply { return say(step(n), 1000, 200) },
			stop: "max-tokens", want: "3600 tokens were spent, the budget is 2500; the last code block was not run"},
		{name: "cost", args: []string{"--max-cost", "0.01", "--price-in", "5", "--price-out", "5"},
			reply: func(n int) llmtest.Reply { return say(step(n), 1000, 0) }, stop: "max-cost", want: "$0.0100 was spent, the budget is $0.0100"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newRunEnv(t, func(n int, _ llmtest.Request) llmtest.Reply { return tc.reply(n) })
			code, stdout, stderr := runCLI(t, "", e.args("Write files.", append(tc.args, "--json")...)...)
			require.Equal(t, 1, code, stderr)
			evs := decodeEvents(t, stdout)
			sum := evs[len(evs)-1]
			require.Equal(t, "summary", sum["type"])
			require.Equal(t, tc.stop, sum["stop"])
			require.Equal(t, tc.want, sum["detail"])
			require.Equal(t, true, sum["sealed"])
		})
	}

	t.Run("time", func(t *testing.T) {
		release := make(chan struct{})
		e := newRunEnv(t, func(n int, _ llmtest.Request) llmtest.Reply {
			if n == 0 {
				return say(step(0), 10, 10)
			}
			<-release // a model that does not answer in time
			return say("too late", 10, 10)
		})
		t.Cleanup(func() { close(release) }) // before the server closes
		code, stdout, stderr := runCLI(t, "", e.args("Write files.", "--max-time", "500ms")...)
		require.Equal(t, 1, code, stderr)
		require.Contains(t, stdout, "stopped: max-time (the run took longer than 500ms)")
		require.Contains(t, stdout, "tool calls: 1 allowed")
		require.Contains(t, stdout, "(sealed;")
	})

	t.Run("a cost budget at an unknown price refuses to start", func(t *testing.T) {
		e := newRunEnv(t, func(int, llmtest.Request) llmtest.Reply { return say("hi", 1, 1) })
		code, stdout, stderr := runCLI(t, "", e.args("Write files.", "--max-cost", "1")...)
		require.Equal(t, 2, code)
		require.Empty(t, stdout)
		require.Contains(t, stderr, "--max-cost: the price of openai:test-model is not known")
		require.Empty(t, e.srv.Requests(), "the model was never asked")
		_, err := os.Stat(e.auditLog)
		require.ErrorIs(t, err, os.ErrNotExist, "nothing was started")
	})
}

// TestRunModelFails: a model that fails ends the run with an error event,
// exit code 1, and a sealed audit log.
func TestRunModelFails(t *testing.T) {
	e := newRunEnv(t, llmtest.Script(llmtest.Reply{Status: 400, Text: "model not found"}))
	code, stdout, stderr := runCLI(t, "", e.args("Do it.", "--json")...)
	require.Equal(t, 1, code, stderr)
	evs := decodeEvents(t, stdout)
	require.Equal(t, []string{"start", "error", "summary"}, eventTypes(evs))
	require.Contains(t, evs[1]["message"], "model not found")
	require.Equal(t, "error", evs[2]["stop"])
	require.Equal(t, true, evs[2]["sealed"])
}

// TestRunInterrupt: cancelling the run (as Ctrl-C does) stops it cleanly:
// exit code 130, a summary, and an audit log that records the interruption
// and is sealed.
func TestRunInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newRunEnv(t, func(n int, _ llmtest.Request) llmtest.Reply {
		if n == 0 {
			return say(llmtest.Code(`filesystem.write_file({ path: "a.txt", content: "a" });`), 10, 10)
		}
		cancel() // the person presses Ctrl-C while the model thinks
		return say("never seen", 10, 10)
	})
	var out, errOut bytes.Buffer
	code := run(ctx, e.args("Write a.txt.", "--json"), strings.NewReader(""), &out, &errOut)
	require.Equal(t, 130, code, errOut.String())
	evs := decodeEvents(t, out.String())
	sum := evs[len(evs)-1]
	require.Equal(t, "interrupted", sum["stop"])
	require.Equal(t, true, sum["sealed"])
	requireInterruptedLog(t, e.auditLog)
}

func requireInterruptedLog(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	rep, err := audit.Verify(bytes.NewReader(b))
	require.NoError(t, err)
	require.True(t, rep.Sealed, "the log ends with its close record")
	require.Contains(t, string(b), `"run-interrupted"`)
}

// TestRunSIGINT sends a real SIGINT to an ironcurtain run in another
// process while the model is thinking.
func TestRunSIGINT(t *testing.T) {
	if os.Getenv("IRONCURTAIN_RUN_CHILD") != "" {
		t.Skip("in the child")
	}
	asked := make(chan struct{})
	release := make(chan struct{})
	e := newRunEnv(t, func(n int, _ llmtest.Request) llmtest.Reply {
		if n == 0 {
			return say(llmtest.Code(`filesystem.write_file({ path: "a.txt", content: "a" });`), 10, 10)
		}
		close(asked)
		<-release
		return say("never seen", 10, 10)
	})
	t.Cleanup(func() { close(release) })
	args, err := json.Marshal(e.args("Write a.txt."))
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunChild$")
	cmd.Env = append(os.Environ(), "IRONCURTAIN_RUN_CHILD="+string(args))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Start())
	select {
	case <-asked:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("the model was never asked a second time\n%s\n%s", out.String(), errOut.String())
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s\n%s", out.String(), errOut.String())
	require.Equal(t, 130, exit.ExitCode(), "%s\n%s", out.String(), errOut.String())
	require.Contains(t, out.String(), "stopped: interrupted")
	require.Contains(t, out.String(), "(sealed;")
	requireInterruptedLog(t, e.auditLog)
}

// TestRunChild is the process TestRunSIGINT signals: main's signal
// handling around run.
func TestRunChild(t *testing.T) {
	spec := os.Getenv("IRONCURTAIN_RUN_CHILD")
	if spec == "" {
		t.Skip("only as TestRunSIGINT's child")
	}
	var args []string
	if err := json.Unmarshal([]byte(spec), &args); err != nil {
		os.Exit(3)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, args, strings.NewReader(""), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func TestRunUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no task", []string{"run", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1"}, "no task given"},
		{"base URL without a model", []string{"run", "--base-url", "http://127.0.0.1:9/v1", "t"}, "--base-url needs --model"},
		{"unknown provider", []string{"run", "--model", "mistral:large", "t"}, "unknown provider"},
		{"key variable without a base URL", []string{"run", "--model", "openai:m", "--api-key-env", "K", "t"}, "--api-key-env is for --base-url"},
		{"empty key variable", []string{"run", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1", "--api-key-env", "IRONCURTAIN_TEST_EMPTY", "t"}, "the variable is empty"},
		{"one price", []string{"run", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1", "--price-in", "1", "t"}, "both --price-in and --price-out"},
		{"bad approver", []string{"run", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1", "--approver", "fax", "t"}, "want terminal, web, signal or none"},
		{"signal approver without a number", []string{"run", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1", "--approver", "signal", "--signal-socket", "/nonexistent/s", "t"}, "give --signal-number"},
		{"signal approver on a remote address", []string{"run", "--model", "openai:m", "--base-url", "http://127.0.0.1:9/v1", "--approver", "signal", "--signal-number", "+15550001111", "--signal-tcp", "192.0.2.1:7583", "t"}, "not a loopback address"},
		{"zero steps", []string{"run", "--max-steps", "0", "t"}, "must be positive"},
		{"negative cost", []string{"run", "--max-cost", "-1", "t"}, "must not be negative"},
		{"NaN price", []string{"run", "--price-in", "NaN", "t"}, "must be numbers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ANTHROPIC_API_KEY", "")
			t.Setenv("OPENAI_API_KEY", "")
			t.Setenv("OPENAI_BASE_URL", "")
			t.Setenv("GEMINI_API_KEY", "")
			code, stdout, stderr := runCLI(t, "", tc.args...)
			require.Equal(t, 2, code)
			require.Empty(t, stdout)
			require.Contains(t, stderr, tc.want)
		})
	}
	code, _, stderr := runCLI(t, "", "run", "-h")
	require.Equal(t, 0, code)
	for _, typ := range []string{"start", "step", "call", "approval", "result", "answer", "summary", "error"} {
		require.Contains(t, stderr, "\n  "+typ+" ", "the help documents the %s event", typ)
	}
}

// TestRunModelKeys: a key goes only to the server it belongs to.
func TestRunModelKeys(t *testing.T) {
	env := map[string]string{"OPENAI_API_KEY": "sk-openai", "GEMINI_API_KEY": "gem", "OPENROUTER_KEY": "or-key"}
	getenv := func(k string) string { return env[k] }
	spec, o, err := runModelOptions(modelFlags{model: "openai:gpt-4o"}, getenv)
	require.NoError(t, err)
	require.Equal(t, "openai:gpt-4o", spec)
	require.Equal(t, "sk-openai", o.APIKey.Reveal())

	_, o, err = runModelOptions(modelFlags{model: "openai:m", baseURL: "https://openrouter.ai/api/v1"}, getenv)
	require.NoError(t, err)
	require.True(t, o.APIKey.IsZero(), "OpenAI's key is not sent to another server")
	_, o, err = runModelOptions(modelFlags{model: "openai:m", baseURL: "https://openrouter.ai/api/v1", keyEnv: "OPENROUTER_KEY"}, getenv)
	require.NoError(t, err)
	require.Equal(t, "or-key", o.APIKey.Reveal())

	delete(env, "OPENAI_API_KEY")
	spec, o, err = runModelOptions(modelFlags{}, getenv)
	require.NoError(t, err)
	require.Equal(t, "google:gemini-2.5-flash", spec)
	require.Equal(t, "gem", o.APIKey.Reveal())
}

func TestRunPrice(t *testing.T) {
	p, err := runPrice("anthropic:claude-sonnet-4-5", modelFlags{priceIn: -1, priceOut: -1})
	require.NoError(t, err)
	require.Equal(t, 3.0, p.InputPerMTok)
	p, err = runPrice("anthropic:claude-sonnet-4-5", modelFlags{priceIn: -1, priceOut: -1, baseURL: "http://proxy"})
	require.NoError(t, err)
	require.Nil(t, p, "another server's prices are its own")
	p, err = runPrice("openai:qwen2.5-coder", modelFlags{priceIn: -1, priceOut: -1})
	require.NoError(t, err)
	require.Nil(t, p)
	p, err = runPrice("openai:qwen2.5-coder", modelFlags{priceIn: 0, priceOut: 0})
	require.NoError(t, err)
	require.Equal(t, 0.0, p.Cost(agent.Usage{InputTokens: 1e6, OutputTokens: 1e6}))
}

// TestRunDefaultAudit: without --audit, the log goes to a new directory
// under the user's state directory.
func TestRunDefaultAudit(t *testing.T) {
	state := t.TempDir()
	t.Setenv("XDG_STATE_HOME", state)
	p, err := newRunAuditPath()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(p, filepath.Join(state, "ironcurtain", "runs")+string(filepath.Separator)), p)
	q, err := newRunAuditPath()
	require.NoError(t, err)
	require.NotEqual(t, filepath.Dir(p), filepath.Dir(q), "one directory per run")
}

// TestRunTerminalSafe: what the agent shapes — file names in the sandbox,
// its answer — cannot send escape sequences to the person's terminal.
func TestRunTerminalSafe(t *testing.T) {
	evil := "\x1b]0;owned\x07\x1b[2J\u202eexe.txt"
	e := newRunEnv(t, func(n int, _ llmtest.Request) llmtest.Reply {
		if n == 0 {
			b, _ := json.Marshal(evil)
			return say(llmtest.Code(`filesystem.write_file({ path: `+string(b)+`, content: "x" });`), 10, 10)
		}
		return say("Done.\x1b[31m red\r\nsecond line\x9b", 10, 10)
	})
	code, stdout, stderr := runCLI(t, "", e.args("Write a file.")...)
	require.Equal(t, 0, code, stderr)
	_, err := os.Stat(filepath.Join(e.sandbox, evil))
	require.NoError(t, err, "the file exists under its real name")
	require.NotContains(t, stdout, "\x1b")
	require.NotContains(t, stdout, "\r")
	require.NotContains(t, stdout, "\u202e")
	require.NotContains(t, stdout, "\x9b")
	require.Contains(t, stdout, `+ \u001b]0;owned\u0007\u001b[2J\u202eexe.txt`)
	require.Contains(t, stdout, "Done.\\u001b[31m red\\u000d\n  second line")
}

func TestDiffTrees(t *testing.T) {
	root := t.TempDir()
	write := func(name, content string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte(content), 0o600))
	}
	write("keep.txt", "same")
	write("grow.txt", "a")
	write("gone.txt", "x")
	write("mode.sh", "#!/bin/sh")
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "fifo"), 0o600))
	before, err := snapshotTree(root, 100)
	require.NoError(t, err, "a FIFO does not block the snapshot")
	write("grow.txt", "ab")
	write("sub/new.txt", "n")
	require.NoError(t, os.Remove(filepath.Join(root, "gone.txt")))
	require.NoError(t, os.Chmod(filepath.Join(root, "mode.sh"), 0o700))
	require.NoError(t, os.Symlink("/etc", filepath.Join(root, "link")))
	after, err := snapshotTree(root, 100)
	require.NoError(t, err)
	require.Equal(t, runChanges{Added: []string{"link", "sub/", "sub/new.txt"}, Changed: []string{"grow.txt", "mode.sh"}, Removed: []string{"gone.txt"}},
		diffTrees(before, after))
	_, ok := after.entries["link/hostname"]
	require.False(t, ok, "symbolic links are not followed")

	small, err := snapshotTree(root, 2)
	require.NoError(t, err)
	require.True(t, small.truncated)
	require.Len(t, small.entries, 2)
	require.True(t, diffTrees(small, after).Truncated)
}

// BenchmarkRun20Calls runs a task of 20 tool calls (10 steps of two
// writes, then the answer) against a scripted model that takes a fixed
// time per answer, and reports what ironcurtain run adds to the model's
// own time: set-up (policy, servers, jail check, audit log), Code Mode (a
// fresh QuickJS runtime per step), the Gate and the policy, the audit log
// (an fsync per record), the snapshots and the summary, and HTTP on
// loopback. overhead-% is that time against the model's own (total − model,
// over model); calls-ms/run is the part of it spent in the 20 tool calls
// (Gate, tool, audit record), as the call events report it, most of which
// is fsync: the file, its directory and the audit record, per write.
// TMPDIR decides the disk the sandbox and the audit log are on.
//
// The model's latencies: 20 ms, far below any real model's, shows what
// ironcurtain run costs in itself; 200 ms is about the fastest a hosted
// model answers with a block of code; 500 ms is a fast one.
//
//	go test -run '^$' -bench Run20Calls -benchtime 5x ./cmd/ironcurtain/
func BenchmarkRun20Calls(b *testing.B) {
	const steps = 10
	for _, latency := range []time.Duration{20 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond} {
		b.Run("model="+latency.String(), func(b *testing.B) {
			srv := llmtest.NewOpenAI(b, func(n int, r llmtest.Request) llmtest.Reply {
				time.Sleep(latency) // the model's own time
				step := (len(r.Messages) - 1) / 2
				if step >= steps {
					return say("Done.", 100, 10)
				}
				return say(llmtest.Code(`filesystem.write_file({ path: "a`+strconv.Itoa(step)+`.txt", content: "a" });
filesystem.write_file({ path: "b`+strconv.Itoa(step)+`.txt", content: "b" });`), 100, 10)
			})
			dir := b.TempDir()
			var callTime time.Duration
			run1 := func(i int) {
				d := filepath.Join(dir, "run"+strconv.Itoa(i))
				args := []string{"run", "--sandbox", filepath.Join(d, "sandbox"), "--audit", filepath.Join(d, "audit.jsonl"),
					"--model", "openai:test-model", "--base-url", srv.URL + "/v1", "--approver", "none", "--unjailed-git", "--json", "Write twenty files."}
				var out bytes.Buffer
				if code := run(context.Background(), args, strings.NewReader(""), &out, io.Discard); code != 0 {
					b.Fatalf("exit %d\n%s", code, out.String())
				}
				if c := strings.Count(out.String(), `"type":"call"`); c != 2*steps {
					b.Fatalf("%d calls", c)
				}
				for line := range strings.Lines(out.String()) {
					var ev struct {
						Type       string  `json:"type"`
						DurationMS float64 `json:"duration_ms"`
					}
					if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "call" {
						callTime += time.Duration(ev.DurationMS * float64(time.Millisecond))
					}
				}
			}
			run1(-1) // compile the engine, warm the caches
			callTime = 0
			start := time.Now()
			for i := 0; b.Loop(); i++ {
				run1(i)
			}
			elapsed := time.Since(start)
			model := time.Duration(b.N) * (steps + 1) * latency
			b.ReportMetric(float64(elapsed-model)/float64(b.N)/1e6, "overhead-ms/run")
			b.ReportMetric(100*float64(elapsed-model)/float64(model), "overhead-%")
			b.ReportMetric(float64(callTime)/float64(b.N)/1e6, "calls-ms/run")
		})
	}
}

// FuzzTermLine: whatever the agent shapes, what reaches the terminal is
// valid UTF-8 without a control, format or line-breaking character, and
// text without any of those is shown as it is.
func FuzzTermLine(f *testing.F) {
	for _, s := range []string{"notes.txt", "\x1b[2J", "a\nb\r\tc", "\u202eexe.txt", "\xff\xfe", `back\slash`, "日本語 ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{termLine(s), termText(s)} {
			require.True(t, utf8.ValidString(out))
			for _, r := range out {
				if r == '\n' && out == termText(s) {
					continue
				}
				require.False(t, unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp), "%q in %q", r, out)
			}
		}
		require.NotContains(t, termLine(s), "\n")
		plain := true
		for _, r := range s {
			if r != ' ' && (!unicode.IsGraphic(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)) || r == utf8.RuneError || r == '\\' {
				plain = false
			}
		}
		if plain && utf8.ValidString(s) {
			require.Equal(t, s, termLine(s))
		}
	})
}

// TestDiffTreesProperty: every path of either snapshot is in exactly one
// of added, changed, removed or unchanged, and unchanged means equal.
func TestDiffTreesProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gen := rapid.MapOf(rapid.SampledFrom([]string{"a", "b", "c/", "c/d", "e", "f/", "f/g"}),
			rapid.Custom(func(t *rapid.T) fileState {
				return fileState{size: rapid.Int64Range(0, 2).Draw(t, "size"), mode: fs.FileMode(rapid.SampledFrom([]uint32{0o600, 0o700}).Draw(t, "mode")),
					mtime: time.Unix(rapid.Int64Range(0, 2).Draw(t, "mtime"), 0)}
			}))
		before, after := tree{entries: gen.Draw(t, "before")}, tree{entries: gen.Draw(t, "after")}
		c := diffTrees(before, after)
		seen := map[string]string{}
		for kind, paths := range map[string][]string{"added": c.Added, "changed": c.Changed, "removed": c.Removed} {
			require.True(t, slices.IsSorted(paths))
			for _, p := range paths {
				_, dup := seen[p]
				require.False(t, dup, p)
				seen[p] = kind
			}
		}
		for p, b := range before.entries {
			a, ok := after.entries[p]
			switch {
			case !ok:
				require.Equal(t, "removed", seen[p])
			case a == b:
				require.Empty(t, seen[p], "unchanged %s", p)
			default:
				require.Equal(t, "changed", seen[p])
			}
		}
		for p := range after.entries {
			if _, ok := before.entries[p]; !ok {
				require.Equal(t, "added", seen[p])
			}
		}
	})
}
