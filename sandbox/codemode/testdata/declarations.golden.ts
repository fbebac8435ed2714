// Tools the script can call. Each is a synchronous function taking one
// object of named arguments; call it without await. A tool with an output
// schema returns its structured result, any other its text. A call that the
// policy refuses, or that fails, throws an Error whose message says why.
// The script is the body of an async function: use return to give a result.

// Server "2fa".
declare const _2fa: {
  /** A server whose name starts with a digit. */
  code(args?: Record<string, unknown>): string;
};

// Server "JSON".
declare const JSON_: {
  /** A server named like a global. */
  parse(args: { text: string }): unknown;
};

declare const filesystem: {
  /**
   * Read the complete contents of a file.
   * Use head or tail for large files.
   */
  read_file(args: {
    /** Path of the file. */
    path: string;
    head?: number;
    tail?: number;
  }): string;
  /** Edit a file. Comments like *\/ are escaped. */
  edit_file(args: { path: string; edits: { oldText: string; newText: string }[]; dryRun?: boolean }): string;
  list_directory(args?: Record<string, unknown>): string;
};

declare const git: {
  /** Show commits. */
  git_log(args?: { maxCount?: number | null; format?: "oneline" | "full" | 1 | true | null; mode?: "fast" }): { commits: { hash: string; parents?: unknown[] }[] };
  /**
   * Push to a remote.
   *
   * Tool "git-push".
   */
  git_push(args: { remote: string | { url: string }; force?: true | false; options?: { a?: string } & { b?: string } }): string;
  /**
   * Clashes with git-push once renamed.
   *
   * Tool "git_push".
   */
  git_push_2(args?: Record<string, unknown>): string;
};

// Server "my-fs".
declare const my_fs: {
  /** A server whose name is not an identifier. */
  stat(args: { "weird key": string; env?: Record<string, string>; pair?: [string, number]; tags?: (string | number)[]; extra?: { x?: number; [key: string]: unknown } }): string;
};
