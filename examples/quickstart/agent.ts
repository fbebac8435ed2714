// The agent's program. In the real loop a model writes code like this;
// every tool call below passes the Gate.

interface Step { tool: string; ok: boolean; note: string }
const steps: Step[] = [];

function attempt(tool: string, f: () => unknown): unknown {
  try {
    const r = f();
    steps.push({ tool, ok: true, note: "done" });
    return r;
  } catch (e) {
    const message = (e as Error).message;
    steps.push({ tool, ok: false, note: message });
    console.log(`${tool} refused: ${message}`);
    return undefined;
  }
}

// Work in the workspace: allowed without asking.
attempt("write_file", () => filesystem.write_file({ path: "plan.md", content: "# Plan\n\n1. Write the plan.\n2. Commit it.\n" }));
const plan = attempt("read_text_file", () => filesystem.read_text_file({ path: "plan.md" })) as string;
console.log(`read back ${plan.length} characters of plan.md`);
attempt("git_init", () => git.git_init({ path: ".", initialBranch: "main" }));
attempt("git_add", () => git.git_add({ all: true }));
attempt("git_commit", () => git.git_commit({ message: "Add the plan" }));

// Reach for the user's SSH key: a protected path, denied whatever the rules.
attempt("read_text_file", () => filesystem.read_text_file({ path: "~/.ssh/id_rsa" }));

// Publish the work: a push always needs a person's approval.
attempt("git_remote", () => git.git_remote({ mode: "add", name: "origin", url: "https://github.com/example/plans.git" }));
attempt("git_push", () => git.git_push({ remote: "origin", branch: "main" }));

return steps.map(s => `${s.ok ? "ok     " : "refused"} ${s.tool}`);
