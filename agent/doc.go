// Package agent is the builtin agent: a loop in which a language model
// carries out a task by writing TypeScript that runs in a sandbox, and an
// automatic approver that lets a model approve what the user's own
// instruction clearly asks for.
//
// # The loop
//
//	sb, err := codemode.New(codemode.Options{Backend: gate})
//	if err != nil { ... }
//	tr, err := agent.Run(ctx, agent.Config{
//		Model:        model, // models.Open("anthropic:claude-sonnet-4-5", ...)
//		Sandbox:      sb,
//		Constitution: policy.DefaultConstitution(),
//		Task:         "Summarise the notes in ~/Documents/notes.md",
//	})
//	if err != nil { ... }          // the model failed, or ctx ended
//	fmt.Println(tr.Stop, tr.Answer) // "answered", the final report
//
// The model is told what it is, that it acts only through code, the tools
// (the Sandbox's TypeScript declarations, see [Declarer]), the rules of the
// sandbox, the principles of the user's constitution, and how to finish.
// The protocol is plain text, so it works with any chat model:
//
//   - An answer with a fenced block marked ts (or typescript, js,
//     javascript) is a step: the first such block runs as one Job, and the
//     model is shown what came of it — the error with its line, every tool
//     call with its verdict and the reason of a refusal, the console, the
//     return value — clipped to Config.MaxResultBytes.
//   - An answer without such a block is the final answer.
//
// A run ends with the final answer, a refusal, a [Budget] (steps, tokens,
// wall time, and cost at the model's [Price]), or a loop: the same code
// giving the same result Config.MaxRepeats times in a row. The
// [Transcript] says which; Run returns an error only when it cannot go on.
//
// # Automatic approval
//
// [AutoApprover] answers the Gate's escalations before a person is asked
// (as approve.Chain's Auto): approve when the user's instruction
// explicitly asks for this operation on these targets, pass otherwise. It
// never rejects and never grants. It judges the whole canonical call,
// marked as untrusted data, and its approval is bound to the arguments it
// saw.
//
// # Models
//
// [Model] is one method, text in and text out, so this package imports
// no provider SDK. The providers live in their own packages:
// agent/anthropic (Anthropic's Messages API) and agent/openai (OpenAI's
// Chat Completions API and any server compatible with it, local ones
// included); agent/models opens either from a "provider:model" string.
// Import only what you use: each SDK is large.
package agent
