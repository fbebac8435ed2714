package docker

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/proxy"
	"github.com/ironcurtain-go/ironcurtain/proxy/llm"
	"github.com/moby/moby/client"
)

// Defaults for the zero values of Options.
const (
	DefaultMemory         = 2 << 30   // bytes, swap included
	DefaultCPUs           = 2.0       //
	DefaultPids           = 512       // processes and threads
	DefaultNoFile         = 4096      // open files
	DefaultTmpSize        = 512 << 20 // bytes of /tmp
	DefaultMaxOutputLines = 1000      // lines kept in Report.Output
	DefaultMaxLineBytes   = 8 << 10   // bytes kept of one output line
	// NobodyUser is the user an agent runs as when nothing better is
	// known: nobody:nogroup.
	NobodyUser = "65534:65534"
	// LabelSandbox marks every container this package makes; its value is
	// "docker". LabelRun holds the run's ID, LabelSession the job's session,
	// LabelOwner "<hostname>:<pid>" of the process that made it.
	LabelSandbox = "io.ironcurtain.sandbox"
	LabelRun     = "io.ironcurtain.run"
	LabelSession = "io.ironcurtain.session"
	LabelOwner   = "io.ironcurtain.owner"
	// NamePrefix starts every container name.
	NamePrefix = "ironcurtain-"
)

// Options configures a [Sandbox]. Image and Adapter are required. Every
// other zero value is the least-privileged choice: no network ever, no
// tools, no LLM access, no workspace, no extra environment.
type Options struct {
	// Image is the image to run. It must hold the bridge at [BridgePath]
	// and the agent the Adapter starts; [BuildImage] makes one.
	Image string
	// Adapter knows the agent program. Required.
	Adapter Adapter

	// Client reaches the Docker engine. Nil means client.New(client.FromEnv):
	// DOCKER_HOST (a remote engine too), DOCKER_TLS_VERIFY,
	// DOCKER_CERT_PATH, DOCKER_API_VERSION. The Sandbox closes a client it
	// made, not one it was given.
	Client *client.Client

	// Tools is what the agent's MCP client reaches, usually an
	// *ironcurtain.Gate: every tool call passes it. Nil means the agent has
	// no tools.
	Tools ironcurtain.Backend
	// MCP configures the MCP server each run exports Tools with. Its
	// Session is set to the job's.
	MCP proxy.ServerConfig
	// Annotations are the tool annotations of the policy that judges
	// Tools' calls (for a policy engine, Engine.Artifacts().Annotations).
	// With a Workspace, the arguments they give a path role are mapped
	// from the container's /workspace to the host workspace before the
	// call is judged, and the host workspace back to /workspace in the
	// results. Nil means the annotations of the built-in tools
	// (policy.DefaultAnnotations).
	Annotations *policy.Annotations
	// Protected are the policy's protected paths (Engine.ProtectedPaths):
	// what the tools create in the workspace is given to the agent's user
	// (see the package documentation), except these and the directories
	// that hold them.
	Protected []string
	// LLM is the LLM API proxy. Each run gets a session of it, with fresh
	// fake keys. Nil means the agent reaches no model API.
	LLM *llm.Proxy

	// Workspace is a host directory mounted at /workspace, read-write
	// unless WorkspaceReadOnly. Empty means none.
	Workspace         string
	WorkspaceReadOnly bool

	// User is the numeric "uid:gid" the agent runs as; never root. Empty
	// means the process's own uid:gid when it is not root, and when it is:
	// the owner of Workspace if that is not root, otherwise NobodyUser. A
	// process that is not root can run the agent only as itself, since it
	// cannot give the sockets to another user.
	User string

	// Memory (bytes, swap included), CPUs, Pids (processes and threads),
	// NoFile (open files) and TmpSize (bytes of the tmpfs at /tmp) limit
	// the container. Zero means the Default... constant.
	Memory  int64
	CPUs    float64
	Pids    int64
	NoFile  int64
	TmpSize int64
	// TmpExec allows running programs from /tmp; by default /tmp is
	// mounted noexec, so a binary the agent writes cannot be run.
	TmpExec bool

	// Env are extra NAME=value entries for the agent. A value that the LLM
	// proxy's vault holds is refused: real credentials never enter the
	// container.
	Env []string

	// Timeout bounds a run; zero means only ctx does.
	Timeout time.Duration
	// MaxOutputLines and MaxLineBytes cap Report.Output, which keeps the
	// last lines. Zero means the defaults.
	MaxOutputLines int
	MaxLineBytes   int

	// RunDir is the host directory in which each run's directory (the
	// sockets, the CA, the task) is made. Socket paths must stay under
	// about 100 bytes, so keep it short. Empty means os.TempDir().
	RunDir string
	// Labels are added to every container.
	Labels map[string]string
	// Logger receives operator diagnostics. Nil means silent.
	Logger *slog.Logger
}

// settings are validated Options with defaults filled in.
type settings struct {
	Options
	uid, gid int
	chown    bool // give the run directory and sockets to uid:gid
	// hostWorkspace is Workspace, absolute and clean; realWorkspace its
	// real path.
	hostWorkspace, realWorkspace string
	protected                    []string // Protected, real paths
}

func (o Options) settle() (*settings, error) {
	if o.Image == "" {
		return nil, errors.New("docker: Options.Image is required")
	}
	if o.Adapter == nil {
		return nil, errors.New("docker: Options.Adapter is required")
	}
	s := &settings{Options: o}
	s.Env = slices.Clone(o.Env)
	s.Labels = maps.Clone(o.Labels)
	for _, kv := range s.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("docker: bad environment entry %q", kv)
		}
	}
	for k := range s.Labels {
		if strings.HasPrefix(k, "io.ironcurtain.") {
			return nil, fmt.Errorf("docker: label %q is reserved", k)
		}
	}
	s.Memory = cmp.Or(s.Memory, DefaultMemory)
	s.CPUs = cmp.Or(s.CPUs, DefaultCPUs)
	s.Pids = cmp.Or(s.Pids, DefaultPids)
	s.NoFile = cmp.Or(s.NoFile, DefaultNoFile)
	s.TmpSize = cmp.Or(s.TmpSize, DefaultTmpSize)
	if s.MaxOutputLines <= 0 {
		s.MaxOutputLines = DefaultMaxOutputLines
	}
	if s.MaxLineBytes <= 0 {
		s.MaxLineBytes = DefaultMaxLineBytes
	}
	switch {
	case s.Memory < 16<<20:
		return nil, fmt.Errorf("docker: Memory %d is below 16 MiB", s.Memory)
	case s.CPUs < 0.01:
		return nil, fmt.Errorf("docker: CPUs %v is too small", s.CPUs)
	case s.Pids < 8:
		return nil, fmt.Errorf("docker: Pids %d is too small", s.Pids)
	case s.NoFile < 64:
		return nil, fmt.Errorf("docker: NoFile %d is too small", s.NoFile)
	case s.TmpSize < 1<<20:
		return nil, fmt.Errorf("docker: TmpSize %d is below 1 MiB", s.TmpSize)
	}
	if s.RunDir == "" {
		s.RunDir = os.TempDir()
	}
	if s.Workspace != "" {
		fi, err := os.Stat(s.Workspace)
		if err != nil {
			return nil, fmt.Errorf("docker: workspace: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("docker: workspace %s is not a directory", s.Workspace)
		}
		if s.hostWorkspace, s.realWorkspace, err = hostWorkspace(s.Workspace); err != nil {
			return nil, err
		}
		for _, p := range o.Protected {
			s.protected = append(s.protected, realPath(p))
		}
	}
	if err := s.pickUser(); err != nil {
		return nil, err
	}
	return s, nil
}

// AgentUser returns the numeric user and group the agent runs as under
// opts (see Options.User), for the host-side tools that must act in the
// workspace as that user: git.Options.RunAs, when this process is root,
// lets jailed git write in a workspace that belongs to the agent.
func AgentUser(opts Options) (uid, gid int, err error) {
	s := &settings{Options: opts}
	if err := s.pickUser(); err != nil {
		return 0, 0, err
	}
	return s.uid, s.gid, nil
}

// pickUser settles the container user and whether the run directory must
// be given to it.
func (s *settings) pickUser() error {
	me, myGroup := os.Getuid(), os.Getgid()
	if s.User == "" {
		switch {
		case me != 0:
			s.uid, s.gid = me, myGroup
		case s.Workspace != "":
			s.uid, s.gid = 65534, 65534
			if fi, err := os.Stat(s.Workspace); err == nil {
				if uid, gid, ok := fileOwner(fi); ok && uid != 0 && gid != 0 {
					s.uid, s.gid = uid, gid
				}
			}
		default:
			s.uid, s.gid = 65534, 65534
		}
	} else {
		u, g, ok := strings.Cut(s.User, ":")
		uid, err1 := strconv.Atoi(u)
		gid, err2 := strconv.Atoi(g)
		if !ok || err1 != nil || err2 != nil || uid < 0 || gid < 0 {
			return fmt.Errorf("docker: User %q: want numeric uid:gid", s.User)
		}
		s.uid, s.gid = uid, gid
	}
	if s.uid == 0 || s.gid == 0 {
		return errors.New("docker: the agent never runs as root (uid or gid 0)")
	}
	if me != 0 && s.uid != me {
		return fmt.Errorf("docker: running as uid %d, the agent can only run as the same uid (User %q), since the sockets cannot be given to another user", me, s.User)
	}
	s.User = strconv.Itoa(s.uid) + ":" + strconv.Itoa(s.gid)
	s.chown = me == 0
	return nil
}
