package ironcurtain

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Rules by which a Gate refuses a call before or around the policy. They
// appear as Decision.Rule in a *DeniedError and in the audit log.
const (
	// RuleArgumentSizeLimit: the arguments are larger than
	// GateConfig.MaxArgumentBytes or nest too deeply.
	RuleArgumentSizeLimit = "argument-size-limit"
	// RuleUnknownTool: no server of that name, or no tool of that name on it.
	RuleUnknownTool = "unknown-tool"
	// RuleInvalidArguments: the arguments do not fit the tool's input schema,
	// or hold a value that is not JSON.
	RuleInvalidArguments = "invalid-arguments"
	// RuleInvalidSchema: the tool's input schema cannot be enforced, so its
	// calls are refused.
	RuleInvalidSchema = "invalid-schema"
	// RulePrepareFailed: the server's CallPreparer refused the call.
	RulePrepareFailed = "prepare-failed"
	// RulePolicyError: the policy engine returned an error.
	RulePolicyError = "policy-error"
	// RuleCircuitBreaker: the same call was repeated too often.
	RuleCircuitBreaker = "circuit-breaker"
	// RuleInternalError: something inside the Gate or a server failed (a
	// panic, a tool list that could not be read).
	RuleInternalError = "internal-error"
	// RuleAuditFailure: the audit log could not be written; the Gate has
	// stopped.
	RuleAuditFailure = "audit-failure"
	// RuleGateClosed: the Gate was closed.
	RuleGateClosed = "gate-closed"
)

// Defaults of GateConfig.
const (
	DefaultCallTimeout       = 5 * time.Minute
	DefaultEscalationTimeout = 5 * time.Minute
)

// GateConfig configures a [Gate]. Only Policy is required; every zero value
// stands for the safe default.
type GateConfig struct {
	// Servers are the tool servers, by the name calls address them with. A
	// name must be non-empty and must not contain "__".
	Servers map[string]ToolServer
	// Policy decides every call. It is required: no policy never means
	// allow.
	Policy PolicyEngine
	// Approver answers escalations. Nil means nobody is asked and every
	// escalated call is denied.
	Approver Approver
	// Audit records one entry per call. Nil means no audit log.
	Audit Auditor
	// MaxArgumentBytes caps the size of a call's arguments. Zero means
	// DefaultMaxArgumentBytes.
	MaxArgumentBytes int
	// Breaker configures the circuit breaker.
	Breaker BreakerConfig
	// CallTimeout bounds each tool call. Zero means DefaultCallTimeout.
	CallTimeout time.Duration
	// EscalationTimeout bounds how long an approver may take; no answer in
	// time means deny. Zero means DefaultEscalationTimeout.
	EscalationTimeout time.Duration
	// Now is the clock, for the audit log and the circuit breaker. Nil means
	// time.Now.
	Now func() time.Time
	// Logger receives operator diagnostics (a recovered panic, an audit
	// failure). Nil means silent.
	Logger *slog.Logger
}

// Gate is the chokepoint every tool call passes: it finds the tool, checks the
// arguments against the tool's schema, lets the server prepare the call, asks
// the policy, handles an escalation, applies the circuit breaker, runs the
// tool, and records an audit entry — in that order. Anything that goes wrong
// on the way is a denial.
//
// A Gate is a [Caller]. It is safe for concurrent use. Make one with
// [NewGate]; the zero Gate is not usable.
type Gate struct {
	servers           map[string]ToolServer
	names             []string // sorted
	policy            PolicyEngine
	approver          Approver
	audit             Auditor
	maxArgs           int
	callTimeout       time.Duration
	escalationTimeout time.Duration
	now               func() time.Time
	log               *slog.Logger

	breaker *breaker
	schemas schemaCache

	idPrefix string
	seq      atomic.Uint64

	// stopped holds the audit error that stopped the Gate.
	stopped atomic.Pointer[error]

	// Calls hold mu for reading while they run; Close takes it for writing,
	// so it waits for them, and later calls see closed.
	mu       sync.RWMutex
	closed   bool
	closing  context.Context // cancelled by Close, to end escalations waiting
	cancel   context.CancelFunc
	closeErr error
	once     sync.Once
}

// NewGate returns a Gate for cfg. It copies cfg, so later changes to it (or
// to its Servers map) have no effect, and reports an error for a missing
// policy, a bad server name or a negative limit.
func NewGate(cfg GateConfig) (*Gate, error) {
	if cfg.Policy == nil {
		return nil, errors.New("ironcurtain: GateConfig.Policy is required")
	}
	g := &Gate{
		servers:           make(map[string]ToolServer, len(cfg.Servers)),
		policy:            cfg.Policy,
		approver:          cfg.Approver,
		audit:             cfg.Audit,
		maxArgs:           cmp0(cfg.MaxArgumentBytes, DefaultMaxArgumentBytes),
		callTimeout:       cmp0(cfg.CallTimeout, DefaultCallTimeout),
		escalationTimeout: cmp0(cfg.EscalationTimeout, DefaultEscalationTimeout),
		now:               cfg.Now,
		log:               cfg.Logger,
	}
	for name, srv := range cfg.Servers {
		switch {
		case name == "" || strings.Contains(name, "__"):
			return nil, fmt.Errorf("ironcurtain: bad server name %q: it must be non-empty and must not contain \"__\"", name)
		case srv == nil:
			return nil, fmt.Errorf("ironcurtain: server %q is nil", name)
		}
		g.servers[name] = srv
		g.names = append(g.names, name)
	}
	slices.Sort(g.names)
	bc := BreakerConfig{
		Threshold: cmp0(cfg.Breaker.Threshold, DefaultBreakerThreshold),
		Window:    cmp0(cfg.Breaker.Window, DefaultBreakerWindow),
	}
	switch {
	case cfg.MaxArgumentBytes < 0, cfg.CallTimeout < 0, cfg.EscalationTimeout < 0,
		cfg.Breaker.Threshold < 0, cfg.Breaker.Window < 0:
		return nil, errors.New("ironcurtain: GateConfig limits must not be negative")
	}
	if g.now == nil {
		g.now = time.Now
	}
	g.breaker = newBreaker(bc, g.now)
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	g.idPrefix = hex.EncodeToString(b[:]) + "-"
	g.closing, g.cancel = context.WithCancel(context.Background())
	return g, nil
}

func cmp0[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Tools lists the tools of every server, sorted by server name and then in
// each server's own order. If a server cannot list its tools, the tools of
// the others are returned together with an error naming it.
func (g *Gate) Tools(ctx context.Context) ([]ServerTool, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return nil, ErrClosed
	}
	var out []ServerTool
	var errs []error
	for _, name := range g.names {
		tools, err := g.servers[name].Tools(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("ironcurtain: tools of server %q: %w", name, err))
			continue
		}
		for _, t := range tools {
			out = append(out, ServerTool{Server: name, Tool: t})
		}
	}
	return out, errors.Join(errs...)
}

// Close stops the Gate. It cancels the escalations waiting for an answer,
// closes every server that implements io.Closer (a server ends its calls in
// flight when closed), and waits for the calls in flight to return and
// record their audit entries. Later calls are refused with ErrClosed and are
// not audited, so the Auditor may be closed once Close returns; the Gate
// does not close it. Close is idempotent.
//
// A tool call that ignores both its context and its server's Close keeps
// Close waiting until GateConfig.CallTimeout. A tool server or approver that
// calls back into the same Gate while Close waits would wait forever; none
// should.
func (g *Gate) Close() error {
	g.once.Do(func() {
		g.cancel()
		var errs []error
		for _, name := range g.names {
			if c, ok := g.servers[name].(io.Closer); ok {
				if err := c.Close(); err != nil {
					errs = append(errs, fmt.Errorf("ironcurtain: closing server %q: %w", name, err))
				}
			}
		}
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
		g.closeErr = errors.Join(errs...)
	})
	return g.closeErr
}

// AgentResult turns what Call returned into what the agent is shown: the
// result itself on success; for a denial, a tool error carrying the
// decision's reason ("DENIED: ...", "ESCALATION DENIED: ..."); for any other
// error a generic tool error, never the error's text, which may hold host
// detail. A tool error's cause ([ErrorResultWithCause]) is never part of it.
// Transports (the MCP proxy, Code Mode) use it.
func AgentResult(res Result, err error) Result {
	res.cause = ""
	if err == nil {
		if res.Content == nil {
			res.Content = []Content{}
		}
		return res
	}
	if de, ok := errors.AsType[*DeniedError](err); ok {
		return ErrorResult(de.AgentMessage())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrorResult("ERROR: the tool call timed out")
	}
	return ErrorResult("ERROR: the tool call failed")
}
