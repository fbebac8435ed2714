package agent

import (
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// Transcript is what came of a [Run]: every step, the final answer, why
// the run stopped, and what it cost. It is filled as far as the run got,
// also when Run returns an error.
type Transcript struct {
	// Steps are the model's answers and what came of them, in order.
	Steps []Step
	// Answer is the model's final answer when Stop is StopAnswered or
	// StopRefused, and empty otherwise.
	Answer string
	// Stop says why the run ended.
	Stop Stop
	// Detail explains Stop in a sentence, for a person.
	Detail string
	// Usage totals the tokens of every model call.
	Usage Usage
	// Cost is what Usage cost at Config.Price, in US dollars; -1 when the
	// price is unknown.
	Cost float64
	// Duration is the run's wall time.
	Duration time.Duration
}

// Step is one answer of the model and what came of it.
type Step struct {
	// N numbers the step from 1.
	N int
	// Answer is the model's answer, in full.
	Answer string
	// Finish says why the model stopped writing it.
	Finish Finish
	// Usage counts the tokens of this step's model call.
	Usage Usage
	// Code is the code block that was (or, past the token budget, would
	// have been) run; empty when the answer held none.
	Code string
	// Ran reports whether Code ran.
	Ran bool
	// Report is what the run produced, as far as it got.
	Report ironcurtain.Report
	// Error is the run's error as the model was shown it; empty if the code
	// ran to its end.
	Error string
	// Feedback is the message the model was sent about this step; empty
	// for the last step.
	Feedback string
}

// Stop is why a run ended.
type Stop string

// Reasons a run ends.
const (
	// StopAnswered: the model answered without code; Transcript.Answer is
	// its final answer.
	StopAnswered Stop = "answered"
	// StopRefused: the model or its provider declined to go on.
	StopRefused Stop = "refused"
	// StopMaxSteps, StopMaxTokens, StopMaxDuration, StopMaxCost: a
	// Budget ran out.
	StopMaxSteps    Stop = "max-steps"
	StopMaxTokens   Stop = "max-tokens"
	StopMaxDuration Stop = "max-duration"
	StopMaxCost     Stop = "max-cost"
	// StopLoop: the same code gave the same result Config.MaxRepeats times
	// in a row.
	StopLoop Stop = "loop"
	// StopError: Run returned an error (the model failed after its
	// client's retries, ctx ended, the sandbox is closed).
	StopError Stop = "error"
)
