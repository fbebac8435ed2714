package git

import "github.com/ironcurtain-go/ironcurtain/internal/toolset"

// tools is the table of the 28 tools, in the order of the reference list.
// Names and argument names are fixed (agents and policies depend on them);
// each definition lives next to its handler.
func (s *Server) tools() []toolset.Tool {
	return []toolset.Tool{
		s.addTool(),
		s.blameTool(),
		s.branchTool(),
		s.changelogTool(),
		s.checkoutTool(),
		s.cherryPickTool(),
		s.cleanTool(),
		s.clearWorkingDirTool(),
		s.cloneTool(),
		s.commitTool(),
		s.diffTool(),
		s.fetchTool(),
		s.initTool(),
		s.logTool(),
		s.mergeTool(),
		s.pullTool(),
		s.pushTool(),
		s.rebaseTool(),
		s.reflogTool(),
		s.remoteTool(),
		s.resetTool(),
		s.setWorkingDirTool(),
		s.showTool(),
		s.stashTool(),
		s.statusTool(),
		s.tagTool(),
		s.worktreeTool(),
		s.wrapupTool(),
	}
}
