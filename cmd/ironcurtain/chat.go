package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/agent"
	"github.com/ironcurtain-go/ironcurtain/agent/models"
	"github.com/ironcurtain-go/ironcurtain/approve"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/sandbox/codemode"
	"github.com/ironcurtain-go/ironcurtain/stack"
)

const chatHelp = `usage: ironcurtain chat [flags]
       ironcurtain chat --resume ID [flags]

An interactive session with the builtin agent. Type a task; the agent works
on it as ironcurtain run does (every tool call through the Gate under the
default policy, the built-in tools rooted at the sandbox), showing its
progress; then type a follow-up, which continues the same conversation.
Lines come from standard input, a terminal or a pipe. Lines starting with /
are commands (/help lists them); they are never sent to the agent. Lines
typed while the agent works are taken after its turn, in order (but for
/pending and the answers to escalations).

Escalations are asked in the chat (--approver chat): the call is shown, and
the next line typed after the question answers it: y approves once, e and s
approve with a grant (these exact arguments, or the scope shown) lasting
--grant-ttl, anything else denies. A line typed before the question appeared
never answers it. --approver terminal asks on the controlling terminal
instead; none denies every escalation.

With --approver signal the session is held by Signal, through signal-cli's
daemon (--signal-number, --signal-socket or --signal-tcp): the tasks,
follow-ups and commands are the messages sent from --signal-number (messages
from any other number are ignored, and logged to standard error), the
agent's answer and the turn's figures are sent back, and escalations are
asked by Signal (answered "approve CODE", "deny CODE" or "approve CODE for
1h"). Standard input is not read then; /quit by Signal or Ctrl-C ends it. With --auto-approve, a model may
approve what the person's own messages clearly ask for; nothing the agent or
a tool wrote is shown to it as the person's words.

Each session lives in a directory of its own under the user's state
directory ($XDG_STATE_HOME/ironcurtain/sessions/ID, or
~/.local/state/ironcurtain/sessions/ID): the conversation, the audit log and
the grants. The agent cannot reach it (it is a protected path and may not be
inside the sandbox). --resume ID continues a session: the model is given the
earlier conversation, the audit log's chain goes on, the grants still hold.

With --json, standard output is a stream of JSON objects, one per line,
each with a "type": those of ironcurtain run --json (step, call, approval,
result, answer, error) and
  session     the session begins: id, resumed, earlier (messages), model,
              sandbox, dir
  turn        a message of the person's is sent: turn, text
  escalation  a call waits for an answer in the chat: id, server, tool,
              rule, reason, digest
  turn_end    the agent's turn ended: turn, stop, detail, steps, tokens_in,
              tokens_out, cost
  end         the session ends: id, exit
Prompts, escalations' questions and the output of commands go to standard
error then.

Budgets (--max-steps, --max-tokens, --max-time) bound each turn. Ctrl-C ends
the session cleanly: the conversation is saved and the audit log sealed.

Flags:`

// chatFlags are the parsed flags of ironcurtain chat.
type chatFlags struct {
	modelFlags
	budgetFlags
	signalFlags
	resume, sandbox, approver string
	autoApprove, unjailed     bool
	jsonOut                   bool
	grantTTL                  time.Duration
}

func parseChatFlags(args []string, stderr io.Writer) (chatFlags, int, bool) {
	var f chatFlags
	fs := newFlags("ironcurtain chat", chatHelp, stderr)
	fs.StringVar(&f.resume, "resume", "", "continue the session with this ID")
	fs.StringVar(&f.sandbox, "sandbox", "", "the agent's sandbox directory (default: a new temporary directory; a resumed session's own)")
	f.modelFlags.register(fs, "default: a resumed session's, or from the API keys set")
	fs.BoolVar(&f.autoApprove, "auto-approve", false, "let the model approve escalated calls the person's messages clearly ask for")
	fs.StringVar(&f.approver, "approver", "chat", "who answers escalations: chat (in the session), terminal (the controlling terminal), signal (the person's phone, which also sends the tasks) or none")
	f.signalFlags.register(fs)
	fs.DurationVar(&f.grantTTL, "grant-ttl", time.Hour, "how long a grant made with e or s lasts (0: no grants offered)")
	fs.BoolVar(&f.jsonOut, "json", false, "write the session as JSON lines on standard output (see above); prompts and commands' output go to standard error")
	fs.BoolVar(&f.unjailed, "unjailed-git", false, "run git without its jail where the kernel cannot enforce one (recorded in the audit log)")
	f.budgetFlags.register(fs, "a turn")
	if err := fs.Parse(args); err != nil {
		return f, parseExit(err), false
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "ironcurtain chat: the tasks are typed in the session, not given as arguments")
		return f, runExitUsage, false
	}
	if f.resume != "" && !validChatID(f.resume) {
		fmt.Fprintf(stderr, "ironcurtain chat: --resume %q: not a session ID (lower-case hex)\n", f.resume)
		return f, runExitUsage, false
	}
	if err := errors.Join(f.modelFlags.check(), f.budgetFlags.check()); err != nil {
		fmt.Fprintf(stderr, "ironcurtain chat: %v\n", err)
		return f, runExitUsage, false
	}
	if f.grantTTL < 0 {
		fmt.Fprintln(stderr, "ironcurtain chat: --grant-ttl must not be negative")
		return f, runExitUsage, false
	}
	return f, 0, true
}

// chat is one interactive session.
type chat struct {
	f       chatFlags
	out     io.Writer // safe for concurrent use
	rep     *runReporter
	st      *stack.Stack
	broker  *approve.Broker // nil unless --approver chat
	notify  func(string)    // sends to the person by Signal; nil unless --approver signal
	paths   chatPaths
	sess    *chatSession
	in      *chatInput
	model   agent.Model
	sandbox ironcurtain.Sandbox
	price   *agent.Price

	mu    sync.Mutex // guards sess.Typed for the auto-approver
	queue []string   // lines typed while a turn ran, to send after it
	quit  bool
}

// runChat runs an interactive session. See chatHelp.
func runChat(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f, code, ok := parseChatFlags(args, stderr)
	if !ok {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "ironcurtain chat: %v\n", err)
		return runExitUsage
	}
	root, err := chatSessionsDir()
	if err != nil {
		return fail(fmt.Errorf("the state directory: %w", err))
	}
	c := &chat{f: f, out: &lockedWriter{w: stdout}}
	events := io.Writer(c.out)
	if f.jsonOut { // standard output is the event stream alone
		events, c.out = stdout, &lockedWriter{w: stderr}
	}
	if f.resume != "" {
		c.paths = chatPathsFor(root, f.resume)
		if c.sess, err = loadChatSession(c.paths.conversation); err != nil {
			return fail(fmt.Errorf("--resume %s: %w", f.resume, err))
		}
		if f.sandbox != "" && filepath.Clean(f.sandbox) != c.sess.Sandbox {
			return fail(fmt.Errorf("--resume %s: the session's sandbox is %s; --sandbox cannot change it", f.resume, c.sess.Sandbox))
		}
		if f.model == "" {
			f.model, f.baseURL, f.keyEnv = c.sess.Model, c.sess.BaseURL, c.sess.KeyEnv
		}
	} else {
		c.sess = &chatSession{Version: chatSessionVersion, ID: newChatID(), Created: time.Now().UTC(), Typed: []string{}}
		c.paths = chatPathsFor(root, c.sess.ID)
	}
	spec, mopts, err := runModelOptions(f.modelFlags, os.Getenv)
	if err != nil {
		return fail(err)
	}
	if c.price, err = runPrice(spec, f.modelFlags); err != nil {
		return fail(err)
	}
	model, err := models.Open(spec, mopts)
	if err != nil {
		return fail(err)
	}
	c.sess.Model, c.sess.BaseURL, c.sess.KeyEnv = spec, f.baseURL, f.keyEnv

	ctx, cancel := context.WithCancel(ctx) // ends Signal's goroutines with the session
	defer cancel()
	var human ironcurtain.Approver
	var signalled *approve.Broker
	var fromSignal chan string
	switch f.approver {
	case "chat":
		c.broker = approve.NewBroker(approve.BrokerOptions{MaxTTL: max(f.grantTTL, time.Second)})
		human = c.broker
	case "terminal":
		term := &approve.Terminal{GrantTTL: f.grantTTL}
		defer term.Close()
		human = term
	case "signal":
		signalled = approve.NewBroker(approve.BrokerOptions{MaxTTL: max(f.grantTTL, time.Second)})
		fromSignal = make(chan string, maxQueuedMessages)
		sa, err := f.signalFlags.start(ctx, signalled, func(text string) {
			select {
			case fromSignal <- text:
			default: // never block Signal's goroutine
				fmt.Fprintln(stderr, "ironcurtain chat: too many messages waiting; one from Signal was dropped")
			}
		}, stderr)
		if err != nil {
			return fail(err)
		}
		c.notify = func(text string) { sa.Send(text) }
		human = signalled
	case "none":
	default:
		return fail(fmt.Errorf("--approver %q: want chat, terminal, signal or none", f.approver))
	}
	if f.resume == "" {
		if f.sandbox == "" {
			if f.sandbox, err = os.MkdirTemp("", "ironcurtain-chat-"); err != nil {
				return fail(err)
			}
		}
		if c.sess.Sandbox, err = filepath.Abs(f.sandbox); err != nil {
			return fail(err)
		}
		if err := os.MkdirAll(c.paths.dir, 0o700); err != nil {
			return fail(fmt.Errorf("the session directory: %w", err))
		}
	}

	c.rep = newRunReporter(events, f.jsonOut, c.price)
	opts := stack.Options{Sandbox: c.sess.Sandbox, Audit: c.paths.audit, GrantsFile: c.paths.grants, Protected: []string{c.paths.dir}}
	cache := startCodeMode("chat", stderr)
	protected := []string{c.paths.dir}
	if cache != "" {
		opts.Protected = append(opts.Protected, cache)
		protected = append(protected, cache)
	}
	if human != nil {
		opts.Human = watchApprover(human, c.rep)
	}
	if f.autoApprove {
		auto := agent.AutoApprover{Model: &countingModel{Model: model, on: c.rep.approverSpent}, Instruction: c.instruction}
		opts.Auto = watchApprover(auto, c.rep)
	}
	// The session directory holds the audit log and the grants: the stack
	// refuses a sandbox that reaches it.
	if c.st, err = jailedStack(ctx, "chat", opts, f.unjailed, stderr, protected...); err != nil {
		if f.resume == "" {
			_ = os.RemoveAll(c.paths.dir) // the new session never started: no tool call was made
		}
		return fail(err)
	}
	defer c.st.Close()
	for _, b := range []*approve.Broker{c.broker, signalled} {
		if b != nil {
			b.SetGrants(c.st.Grants)
		}
	}
	// Read the conversation again now that the audit log is locked: another
	// process may have continued it meanwhile.
	if f.resume != "" {
		s, err := loadChatSession(c.paths.conversation)
		if err != nil {
			return fail(err)
		}
		s.Model, s.BaseURL, s.KeyEnv = c.sess.Model, c.sess.BaseURL, c.sess.KeyEnv
		c.sess = s
	} else if err := c.sess.save(c.paths.conversation); err != nil {
		return fail(fmt.Errorf("the conversation: %w", err))
	}
	c.model = &countingModel{Model: model, on: c.rep.answered}
	sb, err := codemode.New(codemode.Options{Backend: observedBackend{gate: c.st.Gate, on: c.rep.called}})
	if err != nil {
		return fail(err)
	}
	defer sb.Close()
	c.sandbox = sb

	verb := "New session"
	if f.resume != "" {
		verb = "Resumed session"
	}
	fmt.Fprintf(c.out, "%s %s (%d earlier messages)\nModel: %s\nSandbox: %s\nSession directory: %s\nType a task, /help for commands, /quit to end.\n",
		verb, c.sess.ID, len(c.sess.Typed), termLine(spec), termLine(c.sess.Sandbox), termLine(c.paths.dir))
	c.rep.event(chatSessionEvent{Type: "session", ID: c.sess.ID, Resumed: f.resume != "", Earlier: len(c.sess.Typed),
		Model: spec, Sandbox: c.sess.Sandbox, Dir: c.paths.dir})
	if fromSignal != nil {
		c.in = newChatInputFrom(ctx, fromSignal)
		c.tell(fmt.Sprintf("IronCurtain: %s %s. Send a task; /help lists the commands, /quit ends the session.", strings.ToLower(verb), c.sess.ID))
	} else {
		c.in = newChatInput(stdin)
	}
	code = c.loop(ctx)
	if ctx.Err() != nil {
		_ = c.st.RecordEvent(context.WithoutCancel(ctx), ironcurtain.AuditEvent{Kind: "chat-interrupted", Message: "the session was interrupted (Ctrl-C or SIGTERM)"})
		code = runExitInterrupted
	}
	if err := c.st.Close(); err != nil {
		fmt.Fprintf(stderr, "ironcurtain chat: closing: %v\n", err)
		code = runExitStopped
	}
	fmt.Fprintf(c.out, "Session %s saved; continue it with: ironcurtain chat --resume %s\n", c.sess.ID, c.sess.ID)
	c.rep.event(chatEndEvent{Type: "end", ID: c.sess.ID, Exit: code})
	return code
}

// maxQueuedMessages bounds the Signal messages waiting to be read.
const maxQueuedMessages = 64

// maxTold bounds one message sent by Signal.
const maxTold = 4000

// tell sends text to the person by Signal, in --approver signal mode; it
// is made inert (inert.Text) and cut to a bound first.
func (c *chat) tell(text string) {
	if c.notify == nil {
		return
	}
	text = termText(text)
	if len(text) > maxTold {
		text = strings.ToValidUTF8(text[:maxTold], "") + "\n… (cut)"
	}
	c.notify(text)
}

// instruction is the auto-approver's Instruction: the person's own
// messages.
func (c *chat) instruction() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return chatInstruction(c.sess.Typed)
}

// loop reads lines and runs turns until /quit, the end of input or ctx.
func (c *chat) loop(ctx context.Context) int {
	for !c.quit && ctx.Err() == nil {
		var text string
		if len(c.queue) > 0 {
			text, c.queue = c.queue[0], c.queue[1:]
			fmt.Fprintf(c.out, "> %s\n", termLine(text))
		} else {
			fmt.Fprint(c.out, "> ")
			select {
			case l, ok := <-c.in.lines:
				if !ok {
					fmt.Fprintln(c.out)
					return 0
				}
				text = l.text
			case <-ctx.Done():
				return runExitInterrupted
			}
		}
		text = strings.TrimSpace(text)
		switch {
		case text == "":
		case strings.HasPrefix(text, "/"):
			c.runCommand(text)
		default:
			if err := c.turn(ctx, text); err != nil {
				fmt.Fprintf(c.out, "Error: %s\n", termLine(err.Error()))
				return runExitStopped
			}
		}
	}
	return 0
}

// turn sends one message of the person's and runs the agent on it,
// answering escalations and commands as they come.
func (c *chat) turn(ctx context.Context, text string) error {
	c.mu.Lock()
	c.sess.Typed = append(c.sess.Typed, text)
	turn := len(c.sess.Typed)
	c.mu.Unlock()
	c.rep.newTurn()
	c.rep.event(chatTurnEvent{Type: "turn", Turn: turn, Text: text})
	c.tell("Working on it.")
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var sub *approve.Subscription
	var events <-chan approve.Event
	if c.broker != nil {
		sub = c.broker.Subscribe()
		defer func() { sub.Close() }()
		events = sub.C
	}
	type result struct {
		tr  agent.Transcript
		err error
	}
	done := make(chan result, 1)
	go func() {
		tr, err := agent.Run(tctx, agent.Config{
			Model: c.model, Sandbox: c.sandbox, Task: text, History: c.sess.history(),
			Constitution: policy.DefaultConstitution(), Session: "chat:" + c.sess.ID, Price: c.price,
			Budget: c.f.budget(0),
			OnStep: c.rep.stepDone,
		})
		done <- result{tr, err}
	}()
	asked := &chatAsked{}
	lines := c.in.lines
	for {
		select {
		case r := <-done:
			c.endTurn(ctx, turn, r.tr, r.err)
			return c.sess.save(c.paths.conversation)
		case ev, ok := <-events:
			if !ok { // fell behind: subscribe again and show what waits
				sub = c.broker.Subscribe()
				events = sub.C
				for _, p := range c.broker.Pending() {
					c.ask(asked, p)
				}
				continue
			}
			switch ev.Kind {
			case "escalation":
				c.ask(asked, *ev.Escalation)
			case "resolved":
				if asked.drop(ev.ID) && ev.Outcome == "expired" {
					fmt.Fprintln(c.out, "  (no answer in time: denied)")
				}
			}
		case l, ok := <-lines:
			if !ok {
				lines = nil // the input ended: nobody can answer
				for _, id := range asked.all() {
					_ = c.broker.Decide("chat", approve.BrokerDecision{ID: id, Decision: "deny"})
				}
				asked.closed = true
				continue
			}
			c.duringTurn(asked, l)
		}
	}
}

// duringTurn handles a line typed while the agent works: the answer to
// the oldest escalation asked before it was read, /pending, or a line to
// take after the turn (a message or another command: a pipe's lines keep
// their order).
func (c *chat) duringTurn(asked *chatAsked, l chatLine) {
	text := strings.TrimSpace(l.text)
	if text == "/pending" {
		c.runCommand(text)
		return
	}
	if p, ok := asked.oldest(); ok {
		if l.gen >= p.gen {
			c.answer(asked, p, text)
			return
		}
		if isAnswerWord(text) {
			fmt.Fprintln(c.out, "  (that line was typed before the question appeared, so it does not answer it; answer again)")
			return
		}
	}
	if text != "" {
		c.queue = append(c.queue, text)
		fmt.Fprintln(c.out, "  (the agent is working: that line is taken after this turn)")
		c.tell("The agent is working: your message is taken after this turn.")
	}
}

func isAnswerWord(s string) bool {
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "e", "s":
		return true
	}
	return false
}

// ask shows an escalation and waits for the next line.
func (c *chat) ask(asked *chatAsked, p approve.Pending) {
	if asked.has(p.ID) {
		return
	}
	if asked.closed {
		_ = c.broker.Decide("chat", approve.BrokerDecision{ID: p.ID, Decision: "deny"})
		return
	}
	var b strings.Builder
	b.WriteString("\n== a tool call needs your approval ==\n")
	b.WriteString(p.Presentation.Text())
	b.WriteString("[y] approve once, these exact arguments\n")
	if c.f.grantTTL > 0 && p.Exact {
		fmt.Fprintf(&b, "[e] approve, and allow these exact arguments for %s\n", c.f.grantTTL)
	}
	if c.f.grantTTL > 0 && p.Scoped != "" {
		fmt.Fprintf(&b, "[s] approve, and allow %s/%s with %s for %s\n", p.Presentation.Server, p.Presentation.Tool, p.Scoped, c.f.grantTTL)
	}
	b.WriteString("[n] deny (the default)\napprove? ")
	// Only lines read from now on answer it: numbered before the question
	// is shown, so that an answer typed the moment it appears, and read
	// before this goroutine comes back from writing, still answers it.
	asked.add(p, c.in.next())
	io.WriteString(c.out, b.String())
	c.rep.event(chatEscalationEvent{Type: "escalation", ID: p.ID, Server: p.Presentation.Server, Tool: p.Presentation.Tool,
		Rule: p.Presentation.Rule, Reason: p.Presentation.Reason, Digest: p.Presentation.Digest})
}

// answer decides an escalation with the person's line.
func (c *chat) answer(asked *chatAsked, p chatPending, text string) {
	d := approve.BrokerDecision{ID: p.ID, Decision: "deny"}
	switch strings.ToLower(text) {
	case "y", "yes":
		d = approve.BrokerDecision{ID: p.ID, Decision: "approve", Scope: approve.ScopeOnce, Digest: p.Presentation.Digest}
	case "e", "s":
		scope := approve.ScopeExact
		if strings.ToLower(text) == "s" {
			scope = approve.ScopeScoped
		}
		if c.f.grantTTL > 0 {
			d = approve.BrokerDecision{ID: p.ID, Decision: "approve", Scope: scope, TTL: approve.Duration(c.f.grantTTL), Digest: p.Presentation.Digest}
		}
	}
	asked.drop(p.ID)
	err := c.broker.Decide("chat", d)
	if err != nil && d.Decision == "approve" {
		fmt.Fprintf(c.out, "  %s; denied\n", termLine(err.Error()))
		err = c.broker.Decide("chat", approve.BrokerDecision{ID: p.ID, Decision: "deny"})
	}
	switch {
	case errors.Is(err, approve.ErrNoSuchEscalation):
		fmt.Fprintln(c.out, "  (too late: the call was already decided)")
	case err != nil:
		fmt.Fprintf(c.out, "  %s\n", termLine(err.Error()))
	case d.Decision == "approve":
		fmt.Fprintln(c.out, "  approved")
	default:
		fmt.Fprintln(c.out, "  denied (your line was taken as the answer, not sent to the agent)")
	}
}

// endTurn reports how the turn ended and keeps its conversation.
func (c *chat) endTurn(ctx context.Context, turn int, tr agent.Transcript, err error) {
	if len(tr.Messages) > 0 {
		c.sess.setHistory(tr.Messages)
	}
	if tr.Answer != "" {
		c.rep.answer(tr.Answer)
	}
	switch {
	case ctx.Err() != nil:
	case err != nil:
		c.rep.fail(err)
	case tr.Stop != agent.StopAnswered:
		fmt.Fprintf(c.out, "The turn stopped: %s (%s)\n", tr.Stop, termLine(tr.Detail))
	}
	figures := fmt.Sprintf("(%d steps, %d tokens, %s)", len(tr.Steps), tr.Usage.Total(), formatCost(costOrNil(tr.Cost)))
	fmt.Fprintln(c.out, figures)
	told := tr.Answer
	switch {
	case err != nil:
		told = "Error: " + err.Error()
	case tr.Stop != agent.StopAnswered:
		told = strings.TrimSpace(fmt.Sprintf("%s\n\nThe turn stopped: %s (%s)", told, tr.Stop, tr.Detail))
	}
	if ctx.Err() == nil {
		c.tell(told + "\n\n" + figures)
	}
	c.rep.event(chatTurnEndEvent{Type: "turn_end", Turn: turn, Stop: string(tr.Stop), Detail: tr.Detail, Steps: len(tr.Steps),
		TokensIn: tr.Usage.InputTokens, TokensOut: tr.Usage.OutputTokens, Cost: costOrNil(tr.Cost)})
}

// newTurn starts the step count again for a chat's next turn.
func (r *runReporter) newTurn() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.step = 0
}

// lockedWriter serialises writes: the sandbox's goroutine reports calls
// while the chat writes prompts.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// The events of ironcurtain chat --json beyond run's; chatHelp documents
// them.
type (
	chatSessionEvent struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Resumed bool   `json:"resumed"`
		Earlier int    `json:"earlier"`
		Model   string `json:"model"`
		Sandbox string `json:"sandbox"`
		Dir     string `json:"dir"`
	}
	chatTurnEvent struct {
		Type string `json:"type"`
		Turn int    `json:"turn"`
		Text string `json:"text"`
	}
	chatEscalationEvent struct {
		Type   string `json:"type"`
		ID     string `json:"id"`
		Server string `json:"server"`
		Tool   string `json:"tool"`
		Rule   string `json:"rule"`
		Reason string `json:"reason"`
		Digest string `json:"digest"`
	}
	chatTurnEndEvent struct {
		Type      string   `json:"type"`
		Turn      int      `json:"turn"`
		Stop      string   `json:"stop"`
		Detail    string   `json:"detail,omitempty"`
		Steps     int      `json:"steps"`
		TokensIn  int64    `json:"tokens_in"`
		TokensOut int64    `json:"tokens_out"`
		Cost      *float64 `json:"cost"`
	}
	chatEndEvent struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Exit int    `json:"exit"`
	}
)

// event writes an event of the JSON stream; text output has none (the
// chat writes its own lines).
func (r *runReporter) event(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.emit(ev, func(io.Writer) {})
}
