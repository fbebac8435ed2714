// Package fs is the built-in filesystem [ironcurtain.ToolServer]: the 14
// tools of the common MCP filesystem server (read_text_file, write_file,
// edit_file, search_files, ...), with the same names and arguments, so that
// agents and policies written for that server work unchanged. It is
// registered under [ServerName], "filesystem".
//
// The server is confined beneath the policy. It is given its root
// directories and acts in nothing else, whatever the policy above it
// allows: every file access goes through an [os.Root], so "..", absolute
// paths elsewhere, symbolic links that lead out, and links swapped in while
// a call runs all fail. Walks (directory_tree, search_files) open each
// directory from its parent's handle and never follow a link.
//
//	srv, err := fs.New(fs.Options{Roots: []string{sandboxDir}})
//	if err != nil {
//		return err
//	}
//	defer srv.Close()
//	res, err := srv.Call(ctx, ironcurtain.ToolCall{
//		Server:    fs.ServerName,
//		Tool:      "read_text_file",
//		Arguments: map[string]any{"path": "notes.txt", "head": 10},
//	})
//
// Paths in calls are absolute (inside a root; where roots nest the
// innermost wins) or relative to the first root. A leading "~" is refused,
// not expanded: expanding it is the Gate's job. [Server.AddRoot] widens the
// server after a person approved a call outside its roots.
//
// Every limit in [Options] has a default; a call that reaches one fails with
// a message naming it, never with a silently truncated answer. Failures the
// model should see come back as results with IsError and a short reason
// that names no host path the agent did not write; Go errors are kept for
// a closed server, an ended context, or an unknown tool.
package fs
