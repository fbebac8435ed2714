// Package ironcurtain is the vocabulary of an SDK for building AI agents that
// are contained.
//
// The agent is treated as hostile. It runs in a sandbox — TypeScript in a
// QuickJS-in-WebAssembly runtime (Code Mode, package sandbox/codemode) or a
// whole external agent in a container without network (Docker Mode, package
// sandbox/docker) — and its only way out is a tool call. Every tool call passes
// one deterministic chokepoint that allows it, denies it, or escalates it to a
// person, against a policy written in plain English and compiled into rules
// (package policy).
//
// This package holds only the shared types and the small interfaces an
// application composes its contained agent from:
//
//   - [ToolCall], [Result], [Tool]: what crosses the curtain.
//   - [Verdict] and [Decision]: what the policy says, and why.
//   - [PolicyEngine]: decides a call.
//   - [Approver]: answers an escalation (a person, a terminal, a model).
//   - [CredentialVault]: holds real credentials; hands out [Secret]s.
//   - [ToolServer]: serves tools (built in: tools/fs, tools/git, tools/web;
//     any MCP server through package proxy).
//   - [Sandbox]: runs untrusted work with a [Caller] as its only exit.
//   - [Gate]: the chokepoint that composes them — every call is checked
//     against its tool's schema, decided by the policy, escalated to an
//     [Approver] if need be, run, and recorded through an [Auditor];
//     [AgentResult] turns the outcome into what the agent is shown.
//
// Implementations live in leaf packages that import this one; this package
// imports nothing but the standard library and its own internal JSON Schema
// validator. TestDependencies holds every package of the module to the
// layers of the design: the policy engine, the approvers, the audit log and
// the agent loop depend on nothing third-party, and each heavy dependency
// (QuickJS and wazero, Docker's client, mcp-go, the model SDKs, Landlock
// and seccomp) stays in the one leaf that needs it.
//
// Errors follow one rule: a [Decision] is data, and an error means "could not
// decide". Every caller on the path from agent to tool treats an error as a
// denial.
package ironcurtain
