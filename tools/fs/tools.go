package fs

import (
	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

// Annotations. Every tool acts on local files only, so none is open-world.
var (
	readOnly = ironcurtain.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true}
	// write_file replaces a file: destructive, and the same call twice
	// leaves the same file.
	overwrite = ironcurtain.ToolAnnotations{DestructiveHint: true, IdempotentHint: true}
	// edit_file and move_file change or remove what was there, and a
	// second identical call does something else (or fails).
	destructive = ironcurtain.ToolAnnotations{DestructiveHint: true}
	// create_directory adds and never removes; a second call changes nothing.
	additive = ironcurtain.ToolAnnotations{IdempotentHint: true}
)

// pathArgs is the argument of every tool that acts on one path. Names,
// types and defaults of every tool's arguments follow the common MCP
// filesystem server exactly; the descriptions are ours.
type pathArgs struct {
	Path string `json:"path" desc:"An absolute path inside an allowed directory, or a path relative to the first allowed directory."`
}

// excludeArgs is the exclusion argument of the tools that walk a tree.
type excludeArgs struct {
	ExcludePatterns []string `json:"excludePatterns,omitempty" schema:"default=[]" desc:"Glob patterns of entries to leave out, with everything beneath them. A pattern without a slash matches entry names at any depth (\"node_modules\"); one with a slash matches paths relative to path (\"build/**\")."`
}

// tools returns the table of the 14 tools, in the order of the common MCP
// filesystem server.
func (s *Server) tools() []toolset.Tool {
	readTextDesc := "Read a text file and return its content. With head or tail, return only the first or last N lines (not both). " +
		"Refuses binary files (use read_media_file) and files over the read limit (use head or tail)."
	return []toolset.Tool{
		toolset.Typed(ironcurtain.Tool{
			Name:        "read_file",
			Description: "Same as read_text_file; kept under this older name for existing agents. " + readTextDesc,
			Annotations: readOnly,
		}, s.readTextFile),
		toolset.Typed(ironcurtain.Tool{
			Name:        "read_text_file",
			Description: readTextDesc,
			Annotations: readOnly,
		}, s.readTextFile),
		toolset.Typed(ironcurtain.Tool{
			Name: "read_media_file",
			Description: "Read an image or audio file and return it as an image or audio block (base64 data with its MIME type). " +
				"Any other file comes back as a data URL: data:<mime type>;base64,<data>.",
			Annotations: readOnly,
		}, s.readMediaFile),
		toolset.Typed(ironcurtain.Tool{
			Name: "read_multiple_files",
			Description: "Read several text files at once. Each file's content follows its path; " +
				"a file that cannot be read is reported in its place and does not stop the others.",
			Annotations: readOnly,
		}, s.readMultipleFiles),
		toolset.Typed(ironcurtain.Tool{
			Name: "write_file",
			Description: "Create a file or replace its whole content. The write is atomic: readers see the old content or the new, never a mix. " +
				"An existing file keeps its permissions. The parent directory must exist.",
			Annotations: overwrite,
		}, s.writeFile),
		toolset.Typed(ironcurtain.Tool{
			Name: "edit_file",
			Description: "Replace text in a file and return a unified diff. Edits apply in order. Each oldText is looked for exactly, " +
				"then line by line ignoring leading and trailing whitespace (the replacement then takes the indentation found). " +
				"If any edit does not match, nothing is written. With dryRun, only the diff is returned.",
			Annotations: destructive,
		}, s.editFile),
		toolset.Typed(ironcurtain.Tool{
			Name:        "create_directory",
			Description: "Create a directory, and any missing parents. An existing directory is left as it is.",
			Annotations: additive,
		}, s.createDirectory),
		toolset.Typed(ironcurtain.Tool{
			Name: "list_directory",
			Description: "List a directory's entries by name, one per line, each marked [DIR], [FILE] or [LINK] " +
				"(a symbolic link, not followed).",
			Annotations: readOnly,
		}, s.listDirectory),
		toolset.Typed(ironcurtain.Tool{
			Name:        "list_directory_with_sizes",
			Description: "List a directory's entries with the size of each file, and the totals.",
			Annotations: readOnly,
		}, s.listDirectoryWithSizes),
		toolset.Typed(ironcurtain.Tool{
			Name: "directory_tree",
			Description: "Return the tree beneath a directory as JSON: " +
				`[{"name": ..., "type": "file" or "directory", "children": [...]}]; directories always have children. Symbolic links are listed as files and not followed.`,
			Annotations: readOnly,
		}, s.directoryTree),
		toolset.Typed(ironcurtain.Tool{
			Name:        "move_file",
			Description: "Move or rename a file or directory. Fails if the destination exists; nothing is ever replaced.",
			Annotations: destructive,
		}, s.moveFile),
		toolset.Typed(ironcurtain.Tool{
			Name: "search_files",
			Description: "Find files and directories beneath a directory whose names match a glob pattern, and return their absolute paths. " +
				"A pattern without a slash matches names at any depth (\"*.go\"); one with a slash matches paths relative to path " +
				"(\"cmd/**/*.go\"). Supports *, ?, [a-z], ** and {a,b}.",
			Annotations: readOnly,
		}, s.searchFiles),
		toolset.Typed(ironcurtain.Tool{
			Name:        "get_file_info",
			Description: "Describe a file or directory: type, size, modification time and permissions. A symbolic link is described itself, with its target when that is inside the same allowed directory.",
			Annotations: readOnly,
		}, s.getFileInfo),
		toolset.Typed(ironcurtain.Tool{
			Name:        "list_allowed_directories",
			Description: "List the directories this server may act in. Every path must lie inside one of them.",
			Annotations: readOnly,
		}, s.listAllowedDirectories),
	}
}
