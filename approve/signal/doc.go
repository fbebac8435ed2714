// Package signal is an approver front end that asks a person on their
// phone, by Signal, through signal-cli's JSON-RPC daemon.
//
// An [Approver] follows an [approve.Broker]: each escalation is sent to the
// configured number as a message showing the call as [approve.Present]
// renders it, with a random code. The person answers "approve CODE",
// "deny CODE" or "approve CODE for 1h" (or replies to the message, quoting
// it, without the code). Only messages from the configured number count;
// a reply whose code names no pending escalation answers nothing. No
// answer before the deadline is a denial (the Broker's), and so is a lost
// connection to signal-cli: the approver reconnects with backoff.
package signal
