package fs

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/toolset"
)

type searchArgs struct {
	pathArgs
	Pattern string `json:"pattern" desc:"The glob pattern to match."`
	excludeArgs
}

// searchFiles walks beneath a directory and returns the absolute path of
// every file and directory matching the pattern (see glob), one per line.
// Excluded entries are skipped with everything beneath them; symbolic
// links are matched by name but never followed.
func (s *Server) searchFiles(ctx context.Context, a searchArgs) (ironcurtain.Result, error) {
	pattern, err := compileGlob(a.Pattern)
	if err != nil {
		return ironcurtain.Result{}, toolset.Failf("pattern: %v", err)
	}
	var b strings.Builder
	found := 0
	res, err := s.walkBeneath(ctx, "search", a.Path, a.ExcludePatterns, func(base, rel string, e entry) {
		if pattern.match(rel, e.name) {
			if found > 0 {
				b.WriteByte('\n')
			}
			found++
			b.WriteString(display(filepath.Join(base, filepath.FromSlash(rel))))
		}
	})
	if res != nil {
		return *res, err
	}
	if found == 0 {
		return ironcurtain.TextResult("No matches found"), nil
	}
	return ironcurtain.TextResult(b.String()), nil
}
