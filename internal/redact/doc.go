// Package redact removes secrets from text and from decoded JSON before it is
// written anywhere outside the process, such as the audit log.
//
//	r, err := redact.New(vaultValues) // compile once
//	...
//	clean := r.Value(call.Arguments) // a redacted copy; v itself is untouched
//	line := r.String(errText)
//
// It removes, in one pass over each string:
//
//   - every value given to New (the credentials a vault holds), wherever it
//     occurs, with an Aho–Corasick automaton compiled into a DFA over byte
//     classes: one table lookup per byte however many secrets there are;
//   - credentials of known formats: Anthropic (sk-ant-…), OpenAI (sk-…,
//     sk-proj-…), GitHub (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), Slack
//     (xoxa-, xoxb-, xoxp-, xoxr-, xoxs-), AWS access key ids (AKIA, ASIA),
//     Google API keys (AIza…), JSON Web Tokens, PEM private key blocks,
//     bearer tokens and Authorization header values;
//   - Luhn-valid card numbers (first and last four digits kept) and US
//     social security numbers (last four kept);
//
// and, in JSON values, every string under a member named like a credential
// (authorization, cookie, password, token, api_key, ...).
//
// A redacted span becomes [Marker]; a key keeps its public prefix
// ("sk-ant-[REDACTED]") so the operator can tell which kind of key was
// there. Where a vault value overlaps a format match, the union of both is
// redacted whole, so that no part of a vault value survives in the digits a
// card mask keeps.
package redact
