package agent

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// Defaults of Config and Budget.
const (
	DefaultMaxSteps        = 30
	DefaultMaxTokens       = 1_000_000
	DefaultMaxDuration     = 30 * time.Minute
	DefaultMaxAnswerTokens = 8192
	DefaultMaxResultBytes  = 16 << 10
	DefaultMaxRepeats      = 3
	// DefaultMaxDeclarationBytes is where the prompt switches from the
	// tools' full declarations to their overview (about 6,000 tokens).
	DefaultMaxDeclarationBytes = 24 << 10
)

// Config configures one [Run]. Model, Sandbox and Task are required;
// every other zero value means its default.
type Config struct {
	// Model writes the code and the final answer.
	Model Model
	// Sandbox runs each code block, as a Job whose Source is the block. The
	// text of the errors its Run returns is shown to the model, so it must
	// hold nothing of the host (Code Mode's errors do not). The Sandbox is
	// the agent's only way out; the loop adds no other.
	Sandbox ironcurtain.Sandbox
	// Declarations describe the tools to the model, as TypeScript. Empty
	// means: ask the Sandbox, if it is a [Declarer] (Code Mode's is).
	Declarations string
	// MaxDeclarationBytes is the most the Sandbox's declarations may take
	// in the system prompt. Longer ones are replaced by the Sandbox's
	// overview, one line per tool, when it is an [Overviewer] (Code
	// Mode's is): the model then reads a tool's declaration by calling
	// help in its code. Zero means DefaultMaxDeclarationBytes; a negative
	// value means the overview whatever the size.
	MaxDeclarationBytes int
	// Constitution holds the principles the user's policy was written
	// from, as plain text, for the system prompt. It informs the model; the
	// policy enforces it. Empty means none.
	Constitution string
	// Task is the user's instruction: the first message of the
	// conversation.
	Task string
	// Session names the session in each Job, for the audit log.
	Session string
	// Budget bounds the run.
	Budget Budget
	// MaxAnswerTokens caps each answer of the model. Zero means
	// DefaultMaxAnswerTokens.
	MaxAnswerTokens int
	// MaxResultBytes caps what the model is shown of one run: the error,
	// the tool calls, the console and the return value, each clipped in
	// the middle with a marker. Zero means DefaultMaxResultBytes.
	MaxResultBytes int
	// MaxRepeats is how many times in a row the same code may give the
	// same result before the run stops (StopLoop); the model is warned one
	// repetition before. Zero means DefaultMaxRepeats; it must be at least
	// 2.
	MaxRepeats int
	// Price is what the Model charges, for Budget.MaxCost and
	// Transcript.Cost. Nil means unknown: the cost is not counted, and a
	// cost budget is refused.
	Price *Price
	// OnStep, if set, is called after each step, on the goroutine that
	// called Run, for progress reports. It must not block for long.
	OnStep func(Step)
}

// Budget bounds a run. Budgets end a run gracefully (the Transcript says
// which one); they are a convenience, not a security boundary — the Gate
// is.
type Budget struct {
	// MaxSteps caps the number of answers the model gives. Zero means
	// DefaultMaxSteps.
	MaxSteps int
	// MaxTokens caps the tokens spent, input and output, as the provider
	// reports them. A step that goes over it still counts, but its code is
	// not run. Zero means DefaultMaxTokens.
	MaxTokens int64
	// MaxDuration caps the run's wall time, model calls and code runs
	// alike. Zero means DefaultMaxDuration.
	MaxDuration time.Duration
	// MaxCost caps what the model calls cost, in US dollars, at
	// Config.Price; it is checked like MaxTokens. Zero means no cost
	// budget. A cost budget without a Price is an error: an unknown
	// price could never be held to it.
	MaxCost float64
}

// Price is what a model charges, in US dollars per million tokens.
type Price struct {
	InputPerMTok, OutputPerMTok float64
}

// Cost returns what u costs at p.
func (p Price) Cost(u Usage) float64 {
	return (float64(u.InputTokens)*p.InputPerMTok + float64(u.OutputTokens)*p.OutputPerMTok) / 1e6
}

// ErrUnknownPrice is returned by [Run] for a cost budget without a
// Config.Price.
var ErrUnknownPrice = errors.New("agent: a cost budget needs the model's price (Config.Price)")

// Declarer is implemented by a Sandbox that can describe its tools as
// TypeScript declarations for the model (codemode.Sandbox does). It must
// honour ctx and be safe for concurrent use.
type Declarer interface {
	Declarations(ctx context.Context) (string, error)
}

// Overviewer is implemented by a Sandbox that can also describe its
// tools briefly, for many tools, and answer help calls for the rest
// (codemode.Sandbox does). It must honour ctx and be safe for concurrent
// use.
type Overviewer interface {
	Overview(ctx context.Context) (string, error)
}

// withDefaults validates c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Model == nil:
		return c, errors.New("agent: Config.Model is required")
	case c.Sandbox == nil:
		return c, errors.New("agent: Config.Sandbox is required")
	case isBlank(c.Task):
		return c, errors.New("agent: Config.Task is required")
	case c.Budget.MaxSteps < 0, c.Budget.MaxTokens < 0, c.Budget.MaxDuration < 0,
		c.MaxAnswerTokens < 0, c.MaxResultBytes < 0:
		return c, errors.New("agent: Config limits must not be negative")
	case c.Budget.MaxCost < 0 || math.IsNaN(c.Budget.MaxCost) || c.Price != nil && !c.Price.valid():
		return c, errors.New("agent: the cost budget and the price must be numbers, not negative")
	case c.Budget.MaxCost > 0 && c.Price == nil:
		return c, ErrUnknownPrice
	case c.MaxRepeats < 0 || c.MaxRepeats == 1:
		return c, errors.New("agent: Config.MaxRepeats must be at least 2")
	}
	c.Budget.MaxSteps = or(c.Budget.MaxSteps, DefaultMaxSteps)
	c.Budget.MaxTokens = or(c.Budget.MaxTokens, DefaultMaxTokens)
	c.Budget.MaxDuration = or(c.Budget.MaxDuration, DefaultMaxDuration)
	c.MaxAnswerTokens = or(c.MaxAnswerTokens, DefaultMaxAnswerTokens)
	c.MaxResultBytes = or(c.MaxResultBytes, DefaultMaxResultBytes)
	c.MaxRepeats = or(c.MaxRepeats, DefaultMaxRepeats)
	c.MaxDeclarationBytes = or(c.MaxDeclarationBytes, DefaultMaxDeclarationBytes)
	return c, nil
}

func or[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

func isBlank(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

func (p Price) valid() bool {
	for _, v := range []float64{p.InputPerMTok, p.OutputPerMTok} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
