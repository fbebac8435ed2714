package agent

import (
	"strconv"
	"strings"
)

// systemPrompt is what the model is told once, at the start: what it is,
// how it acts, the tools, the principles it works under, and how to end.
// The words are ours; the facts (synchronous tools, a fresh runtime per
// block, errors that carry the refusal's reason) are those of Code Mode.
func systemPrompt(decls, constitution string, maxResult int) string {
	var b strings.Builder
	b.WriteString(`You are an agent that carries out a task for a user. You cannot touch files, networks or programs directly. You act only by writing TypeScript, which runs in an isolated sandbox; the tool functions declared below are its only way to reach the outside world, and every tool call is checked against a policy before it runs.

# How to act

Put the code to run in a single fenced block that starts with ` + "```ts" + ` and ends with ` + "```" + `. Write one block per answer. After it runs you will be shown what happened, and you answer again.

- The block is the body of an async function. Use ` + "`return`" + ` to hand back a value; it reaches you as JSON.
- Tool functions are synchronous: call them and use the value; no await is needed.
- console.log, console.warn and console.error print lines you will see.
- Each block runs in a fresh runtime: nothing survives from one block to the next except what you read in the results. There are no modules, no file system, no network and no environment besides the tools.
- Results longer than ` + strconv.Itoa(maxResult) + ` bytes are shortened in the middle, so return what you need, not everything.

# When a call is refused

A call the policy refuses throws an Error whose message starts with "DENIED:" or "ESCALATION DENIED:" and gives the reason. The refusal is final for that action. Do not retry it and do not look for another route to the same effect. Change course: do what the task needs in a way the policy allows, or end and say what could not be done and why.

# Tools
`)
	decls = strings.TrimSpace(decls)
	if decls == "" {
		b.WriteString("\nNo tools are available: your code can only compute.\n")
	} else {
		b.WriteString("\nThese TypeScript declarations describe every tool you can call:\n\n```ts\n")
		b.WriteString(decls)
		b.WriteString("\n```\n")
	}
	if c := strings.TrimSpace(constitution); c != "" {
		b.WriteString(`
# Principles

The user's policy was written from the principles below. Work within them; the policy enforces them whether you do or not.

`)
		b.WriteString(c)
		b.WriteString("\n")
	}
	b.WriteString(`
# How to finish

When the task is done, or cannot be done, answer without any ` + "```ts" + ` block. That answer is your final report to the user: say what you did and what you found, and name anything you could not do. An answer with a code block is never taken as final.
`)
	return b.String()
}

// taskMessage is the conversation's first turn.
func taskMessage(task string) string {
	return "Task:\n\n" + strings.TrimSpace(task)
}

// nextMessage is a later turn of the user's, in a conversation that
// continues (Config.History).
func nextMessage(text string) string {
	return "The user's next message:\n\n" + strings.TrimSpace(text)
}

// noteStopped tells the model, in a conversation that continues, that the
// run before stopped without showing it the result of its last code.
func noteStopped(detail string) string {
	return "The run stopped here (" + detail + "); the user may now ask for more."
}

// Notes appended to a step's feedback.
const (
	noteNoCode = "Your answer holds a code block that was cut off before its closing fence, so nothing ran. Write shorter code, in one complete ```ts block."
	noteCutOff = "Your answer was cut off at the length limit before any code block, so nothing ran. Answer more briefly: either one ```ts block, or your final report without one."
)

func noteExtra(n int) string {
	if n == 1 {
		return "Only the first code block of your answer ran; the other one was ignored. Write one block per answer."
	}
	return "Only the first code block of your answer ran; the other " + strconv.Itoa(n) + " were ignored. Write one block per answer."
}

func noteRepeat(left int) string {
	s := "times"
	if left == 1 {
		s = "time"
	}
	return "This is the same code, with the same result, as your previous step. Repeating it will not change anything: " +
		strconv.Itoa(left) + " more " + s + " and the run is stopped."
}
