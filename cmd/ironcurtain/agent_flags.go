package main

import (
	"errors"
	"flag"
	"math"
	"time"

	"github.com/ironcurtain-go/ironcurtain/agent"
)

// modelFlags choose the model run and chat talk to, and its price.
type modelFlags struct {
	model, baseURL, keyEnv string
	// priceIn and priceOut are per million tokens; negative means not
	// given.
	priceIn, priceOut float64
}

// register adds --model, --base-url, --api-key-env, --price-in and
// --price-out to fs; modelDefault says what an empty --model means.
func (m *modelFlags) register(fs *flag.FlagSet, modelDefault string) {
	m.priceIn, m.priceOut = -1, -1
	fs.StringVar(&m.model, "model", "", "the model, as provider:model (anthropic, openai, google; "+modelDefault+")")
	fs.StringVar(&m.baseURL, "base-url", "", "an OpenAI-compatible server's API root, such as http://localhost:11434/v1 (or another provider's address)")
	fs.StringVar(&m.keyEnv, "api-key-env", "", "the environment variable holding the key for --base-url (default: none)")
	fs.Float64Var(&m.priceIn, "price-in", -1, "the model's price per million input tokens, in US dollars (overrides the list price)")
	fs.Float64Var(&m.priceOut, "price-out", -1, "the model's price per million output tokens, in US dollars")
}

// check refuses prices that are not numbers.
func (m modelFlags) check() error {
	for _, v := range []float64{m.priceIn, m.priceOut} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("--price-in and --price-out must be numbers")
		}
	}
	return nil
}

// budgetFlags bound a run, or each turn of a chat.
type budgetFlags struct {
	maxSteps  int
	maxTokens int64
	maxTime   time.Duration
}

// register adds --max-steps, --max-tokens and --max-time to fs; per says
// what they bound ("the run", "a turn").
func (b *budgetFlags) register(fs *flag.FlagSet, per string) {
	fs.IntVar(&b.maxSteps, "max-steps", agent.DefaultMaxSteps, "the most answers the model may give in "+per)
	fs.Int64Var(&b.maxTokens, "max-tokens", agent.DefaultMaxTokens, "the most tokens "+per+" may spend, input and output")
	fs.DurationVar(&b.maxTime, "max-time", agent.DefaultMaxDuration, "the wall-time limit of "+per)
}

func (b budgetFlags) check() error {
	if b.maxSteps <= 0 || b.maxTokens <= 0 || b.maxTime <= 0 {
		return errors.New("--max-steps, --max-tokens and --max-time must be positive")
	}
	return nil
}

// budget is the agent's Budget for these flags and a cost cap.
func (b budgetFlags) budget(maxCost float64) agent.Budget {
	return agent.Budget{MaxSteps: b.maxSteps, MaxTokens: b.maxTokens, MaxDuration: b.maxTime, MaxCost: maxCost}
}
