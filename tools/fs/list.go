package fs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
)

// listOne lists the directory a path argument names, bounded by
// MaxEntries.
func (s *Server) listOne(ctx context.Context, p string) ([]entry, error) {
	t, err := resolve(s.snapshot(), p)
	if err != nil {
		return nil, err
	}
	d, err := openDir(t)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	w := walker{ctx: ctx, max: s.lim.maxEntries}
	return w.list(d)
}

// tag is an entry's mark in a listing.
func (e entry) tag() string {
	switch e.kind() {
	case "directory":
		return "[DIR]"
	case "symlink":
		return "[LINK]"
	}
	return "[FILE]"
}

// listDirectory prints one line per entry, "[DIR] name", "[FILE] name" or
// "[LINK] name" for a symbolic link (never followed), in name order.
func (s *Server) listDirectory(ctx context.Context, a pathArgs) (ironcurtain.Result, error) {
	entries, err := s.listOne(ctx, a.Path)
	if err != nil {
		return failCall(ctx, "list", a.Path, err)
	}
	if len(entries) == 0 {
		return ironcurtain.TextResult("(empty directory)"), nil
	}
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s %s\n", e.tag(), display(e.name))
	}
	return ironcurtain.TextResult(strings.TrimSuffix(b.String(), "\n")), nil
}

type listSizesArgs struct {
	pathArgs
	SortBy string `json:"sortBy,omitempty" desc:"Order by name, or by size, largest first." schema:"enum=name|size,default=name"`
}

// sizedEntry is one entry of list_directory_with_sizes' structured result.
type sizedEntry struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Size int64  `json:"size"`
}

type sizedListing struct {
	Entries     []sizedEntry `json:"entries"`
	Files       int          `json:"files"`
	Directories int          `json:"directories"`
	TotalBytes  int64        `json:"totalBytes"`
}

// listDirectoryWithSizes prints a listing with the size of each file and
// totals, and returns the same as structured content. Sizes are those of
// the entries themselves: a directory's own size is not counted, nor is
// the target of a link.
func (s *Server) listDirectoryWithSizes(ctx context.Context, a listSizesArgs) (ironcurtain.Result, error) {
	if a.SortBy == "" {
		a.SortBy = "name"
	}
	entries, err := s.listOne(ctx, a.Path)
	if err != nil {
		return failCall(ctx, "list", a.Path, err)
	}
	sortEntries(entries, a.SortBy == "size")
	out := sizedListing{Entries: make([]sizedEntry, 0, len(entries))}
	width := 0
	for _, e := range entries {
		width = max(width, len(display(e.name)))
	}
	var b strings.Builder
	for _, e := range entries {
		se := sizedEntry{Name: e.name, Type: e.kind(), Size: e.size()}
		if e.info.IsDir() {
			out.Directories++
			fmt.Fprintf(&b, "%-6s %s\n", e.tag(), display(e.name))
		} else {
			out.Files++
			out.TotalBytes += se.Size
			fmt.Fprintf(&b, "%-6s %-*s  %10s\n", e.tag(), width, display(e.name), size(se.Size))
		}
		out.Entries = append(out.Entries, se)
	}
	if len(entries) > 0 {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "Total: %d files, %d directories\nCombined size: %s (%d bytes)",
		out.Files, out.Directories, size(out.TotalBytes), out.TotalBytes)
	return structured(b.String(), out)
}

// fileInfo is get_file_info's structured result.
type fileInfo struct {
	Type        string `json:"type"` // "file", "directory", "symlink" or "other"
	Size        int64  `json:"size"`
	Modified    string `json:"modified"`    // RFC 3339, UTC
	Permissions string `json:"permissions"` // octal, "644"
	Mode        string `json:"mode"`        // "-rw-r--r--"
	IsFile      bool   `json:"isFile"`
	IsDirectory bool   `json:"isDirectory"`
	// Target describes what a symbolic link leads to, when that is inside
	// the same allowed directory.
	Target *fileInfo `json:"target,omitempty"`
}

func (s *Server) getFileInfo(_ context.Context, a pathArgs) (ironcurtain.Result, error) {
	t, err := resolve(s.snapshot(), a.Path)
	if err != nil {
		return fail("get info on", a.Path, err), nil
	}
	fi, err := t.root.r.Lstat(t.rel)
	if err != nil {
		return fail("get info on", a.Path, err), nil
	}
	info := describe(entry{info: fi})
	if info.Type == "symlink" {
		if tfi, err := t.root.r.Stat(t.rel); err == nil {
			target := describe(entry{info: tfi})
			info.Target = &target
		}
	}
	var b strings.Builder
	writeInfo(&b, "", info)
	return structured(strings.TrimSuffix(b.String(), "\n"), info)
}

func describe(e entry) fileInfo {
	fi := e.info
	info := fileInfo{
		Type:        e.kind(),
		Size:        fi.Size(),
		Modified:    fi.ModTime().UTC().Format(time.RFC3339),
		Permissions: fmt.Sprintf("%03o", fi.Mode().Perm()),
		Mode:        fi.Mode().String(),
		IsFile:      fi.Mode().IsRegular(),
		IsDirectory: fi.IsDir(),
	}
	if info.Type == "file" && !info.IsFile {
		info.Type = "other"
	}
	return info
}

func writeInfo(b *strings.Builder, prefix string, info fileInfo) {
	fmt.Fprintf(b, "%stype: %s\n%ssize: %d\n%smodified: %s\n%spermissions: %s (%s)\n%sisFile: %t\n%sisDirectory: %t\n",
		prefix, info.Type, prefix, info.Size, prefix, info.Modified, prefix, info.Permissions, info.Mode,
		prefix, info.IsFile, prefix, info.IsDirectory)
	if info.Target != nil {
		b.WriteString(prefix + "target:\n")
		writeInfo(b, prefix+"  ", *info.Target)
	}
}

// noArgs is the arguments of a tool that takes none.
type noArgs struct{}

func (s *Server) listAllowedDirectories(context.Context, noArgs) (ironcurtain.Result, error) {
	dirs := s.Roots()
	lines := make([]string, len(dirs))
	for i, d := range dirs {
		lines[i] = display(d)
	}
	return structured("Allowed directories:\n"+strings.Join(lines, "\n"),
		struct {
			Directories []string `json:"directories"`
		}{dirs})
}

// structured returns a text result that also carries v as structured
// content.
func structured(text string, v any) (ironcurtain.Result, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return ironcurtain.Result{}, err
	}
	res := ironcurtain.TextResult(text)
	res.Structured = raw
	return res, nil
}
