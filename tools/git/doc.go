// Package git is the built-in git tool server: 28 tools (git_status,
// git_log, git_commit, git_rebase, git_worktree, ...) whose names and
// arguments match the widely used git MCP server, so agents, prompts and
// policies carry over.
//
// The server drives the real git program, which must be installed (2.36
// or newer): only git itself does rebase, stash, cherry-pick, worktrees
// and merges right. It treats every repository as hostile and runs git as
// the repository's wary neighbour:
//
//   - Every invocation gets an environment built from nothing: HOME is an
//     empty directory the server owns, no system or global configuration,
//     no terminal prompts, no pager, no editor, C locale, a minimal PATH.
//   - Configuration that would make git run a program is overridden on
//     every invocation: hooks (unless [Options.EnableHooks]),
//     core.fsmonitor, core.sshCommand, core.pager, core.askPass, editors,
//     credential helpers, gpg programs, diff.external. Keys named by the
//     repository itself — filter.<x>.clean/smudge/process,
//     diff.<x>.textconv/command, merge.<x>.driver, remote.<x>.uploadpack,
//     trailer.<x>.cmd — are found by listing the configuration (includes
//     followed) and overridden by exact name, also in populated
//     submodules before commands that look inside them; diffs run with
//     --no-ext-diff and --no-textconv.
//   - Transports are limited to [Options.AllowedProtocols] (https by
//     default) for clone, fetch, pull and push, and refused entirely for
//     every other tool; ext:: and fd:: can never be allowed.
//   - Agent values go after --end-of-options or "--"; refs, remotes,
//     branch and tag names starting with "-" are refused before git runs,
//     and created refs must pass git's ref-name rules.
//   - Repository paths, clone destinations and worktrees must lie inside
//     [Options.Roots], resolved as the kernel resolves them (".." after
//     the symbolic links before it); so must the git directory and work
//     tree git finds.
//   - A failure is shown to the agent as a tool error built from a public
//     message: no raw operating-system error, and no host path outside the
//     roots (git's own messages are kept, with such paths redacted).
//   - Each invocation has a time limit (the whole process group is killed)
//     and an output cap.
//
// Credentials for https remotes come from an [ironcurtain.CredentialVault]
// through git's own credential-cache client talking to a per-invocation
// Unix socket the server answers; they never appear in arguments,
// environment variables, files or results. No helper binary is needed.
//
// Each session (ToolCall.Session) has a working directory, set by
// git_set_working_dir; a path of "." means it. [Server.PrepareCall]
// writes the real directory into the call so that the policy judges what
// the tool will touch.
//
// Usage:
//
//	srv, err := git.New(git.Options{
//		Roots: []string{"/home/me/sandbox"},
//		Vault: vault,
//		Credentials: map[string]git.Credential{
//			"github.com": {Name: "github-token"},
//		},
//	})
//	if err != nil {
//		return err
//	}
//	defer srv.Close()
//	res, err := srv.Call(ctx, ironcurtain.ToolCall{
//		Session: "s1", Server: git.ServerName, Tool: "git_status",
//		Arguments: map[string]any{"path": "/home/me/sandbox/project"},
//	})
//
// In a contained agent the server sits behind a Gate, which calls
// PrepareCall, asks the policy, and only then calls the server.
package git
