package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/proxy"
	"github.com/ironcurtain-go/ironcurtain/proxy/llm"
	"github.com/moby/moby/client"
)

// removeTimeout bounds the removal of a container after a run, which runs
// on a context of its own so that a cancelled caller still gets it.
const removeTimeout = 30 * time.Second

// Sandbox runs agents in containers: Docker Mode. It implements
// [ironcurtain.Sandbox].
//
// Each Run makes a run directory with the MCP and LLM proxy sockets,
// starts a container with no network, no capabilities, no new privileges,
// a read-only root, a non-root user and resource limits, runs the agent in
// it under the bridge, and removes the container however the run ends:
// the agent exits or crashes, ctx is cancelled, the Timeout passes, or Run
// panics.
//
// A Sandbox is safe for concurrent use; every Run is isolated from the
// others. Close is idempotent.
type Sandbox struct {
	s       *settings
	cli     *client.Client
	ownCli  bool
	log     *slog.Logger
	secrets []ironcurtain.Secret // the LLM vault's values, never to enter a container

	// started, when set (by tests), is called once the container runs.
	started func(ctx context.Context, id string)

	closeOnce sync.Once
}

var _ ironcurtain.Sandbox = (*Sandbox)(nil)

// New validates opts and returns a Sandbox. It does not contact the
// engine; the first Run does.
func New(opts Options) (*Sandbox, error) {
	s, err := opts.settle()
	if err != nil {
		return nil, err
	}
	sb := &Sandbox{s: s, cli: opts.Client, log: opts.Logger}
	if sb.log == nil {
		sb.log = slog.New(slog.DiscardHandler)
	}
	if s.LLM != nil {
		// Refuse, now, an environment that would carry a real key in.
		secrets, err := s.LLM.Secrets(context.Background())
		if err != nil {
			return nil, fmt.Errorf("docker: listing the vault's secrets: %w", err)
		}
		sb.secrets = secrets
		if err := checkEnv(s.Env, secrets); err != nil {
			return nil, err
		}
	}
	if sb.cli == nil {
		cli, err := client.New(client.FromEnv)
		if err != nil {
			return nil, fmt.Errorf("docker: engine client: %w", err)
		}
		sb.cli, sb.ownCli = cli, true
	}
	return sb, nil
}

// Close closes the engine client if the Sandbox made it.
func (sb *Sandbox) Close() error {
	var err error
	sb.closeOnce.Do(func() {
		if sb.ownCli {
			err = sb.cli.Close()
		}
	})
	return err
}

// checkEnv refuses an environment entry that holds a credential.
func checkEnv(env []string, secrets []ironcurtain.Secret) error {
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		for _, sec := range secrets {
			if v := sec.Reveal(); len(v) >= 8 && strings.Contains(value, v) {
				return fmt.Errorf("docker: environment variable %s holds a credential from the vault; real keys never enter the container", name)
			}
		}
	}
	return nil
}

// Run runs the agent on job.Source, the task, and returns its output and
// the tool calls it made. A non-zero exit is an *ExitError (one killed for
// memory also satisfies errors.Is(err, ironcurtain.ErrLimit)); a deadline
// satisfies errors.Is(err, context.DeadlineExceeded). The container is
// gone when Run returns.
func (sb *Sandbox) Run(ctx context.Context, job ironcurtain.Job) (rep ironcurtain.Report, err error) {
	s := sb.s
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	runID, err := randomID()
	if err != nil {
		return rep, err
	}
	session := job.Session
	if session == "" {
		session = runID
	}
	log := sb.log.With("run", runID, "session", session)

	dir, err := newRunDir(s, runID)
	if err != nil {
		return rep, err
	}
	defer dir.remove()

	// Serving stops when Run returns, after the container is gone.
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	var serving sync.WaitGroup
	defer serving.Wait()
	defer stopServing()

	rec := &recorder{backend: s.Tools}
	e := Endpoints{TaskFile: RunDir + "/" + taskFileName}
	if s.Workspace != "" {
		e.Workspace = WorkspaceDir
	}
	if s.Tools != nil {
		// The recorder sees the calls as the Gate does, with host paths;
		// the agent sees them with /workspace.
		var backend ironcurtain.Backend = rec
		if s.Workspace != "" {
			backend = newPathMapper(rec, s)
		}
		if err := sb.serveMCP(ctx, serveCtx, &serving, dir, backend, session); err != nil {
			return rep, err
		}
		e.MCPCommand = []string{BridgePath, "mcp"}
	}
	if s.LLM != nil {
		sess, err := sb.serveLLM(serveCtx, &serving, dir, session)
		if err != nil {
			return rep, err
		}
		defer sess.Close()
		if err := dir.write(caFileName, s.LLM.CA().CertPEM()); err != nil {
			return rep, err
		}
		e.ProxyURL = "http://" + LLMListen
		e.CAFile = RunDir + "/" + caFileName
		e.FakeKeys = sess.FakeKeys()
		e.BaseURLs = map[string]string{}
		e.KeyEnv = map[string]string{}
		for _, name := range s.LLM.Providers() {
			e.BaseURLs[name] = e.ProxyURL + "/" + name
			if p, ok := s.LLM.Provider(name); ok {
				e.KeyEnv[name] = p.Credential
			}
		}
	}
	if err := dir.write(taskFileName, []byte(job.Source)); err != nil {
		return rep, err
	}
	launch, err := s.Adapter.Launch(job.Source, e)
	if err != nil {
		return rep, err
	}
	if err := launch.validate(); err != nil {
		return rep, err
	}
	for _, f := range launch.Files {
		if err := dir.write(filesDirName+"/"+f.Name, f.Content); err != nil {
			return rep, err
		}
	}
	env := sb.environment(e, launch)
	if err := checkEnv(env, sb.secrets); err != nil {
		return rep, err
	}

	name := NamePrefix + runID
	sp := s.containerSpec(name, runID, session, dir.path, bridgeArgv(launch, s.LLM != nil), env)
	out := newOutput(s.MaxOutputLines, s.MaxLineBytes)
	defer func() {
		rep.Output = out.lines()
		rep.Calls = rec.calls()
		if r, ok := s.Adapter.(Resulter); ok {
			rep.Value = r.Result(rep.Output)
		}
	}()
	return rep, sb.runContainer(ctx, log, sp, out)
}

// serveMCP exports the tools on the run's MCP socket.
func (sb *Sandbox) serveMCP(ctx, serveCtx context.Context, wg *sync.WaitGroup, dir *runDir, backend ironcurtain.Backend, session string) error {
	cfg := sb.s.MCP
	cfg.Session = session
	cfg.Watch = slices.Clone(cfg.Watch)
	if n, ok := sb.s.Tools.(proxy.ToolsNotifier); ok {
		cfg.Watch = append(cfg.Watch, n)
	}
	if cfg.Logger == nil {
		cfg.Logger = sb.s.Logger
	}
	srv, err := proxy.NewServer(ctx, backend, cfg)
	if err != nil {
		return fmt.Errorf("docker: MCP server: %w", err)
	}
	path := dir.socket(mcpSocketName)
	ln, err := proxy.ListenUnix(path)
	if err != nil {
		srv.Close()
		return fmt.Errorf("docker: MCP socket: %w", err)
	}
	if err := dir.give(path); err != nil {
		ln.Close()
		srv.Close()
		return err
	}
	wg.Go(func() {
		defer srv.Close()
		srv.ServeListener(serveCtx, ln)
	})
	return nil
}

// serveLLM starts a session of the LLM proxy on the run's LLM socket.
func (sb *Sandbox) serveLLM(serveCtx context.Context, wg *sync.WaitGroup, dir *runDir, session string) (*llm.Session, error) {
	sess, err := sb.s.LLM.NewSession(session)
	if err != nil {
		return nil, err
	}
	path := dir.socket(llmSocketName)
	ln, err := proxy.ListenUnix(path)
	if err != nil {
		sess.Close()
		return nil, fmt.Errorf("docker: LLM socket: %w", err)
	}
	if err := dir.give(path); err != nil {
		ln.Close()
		sess.Close()
		return nil, err
	}
	wg.Go(func() { sess.Serve(serveCtx, ln) })
	return sess, nil
}

// environment is the agent's environment: the sandbox's own, then
// Options.Env, then the adapter's, later entries winning.
func (sb *Sandbox) environment(e Endpoints, l Launch) []string {
	env := map[string]string{
		"HOME":                   Home,
		"TMPDIR":                 "/tmp",
		"PATH":                   "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"IRONCURTAIN_TASK_FILE":  e.TaskFile,
		"IRONCURTAIN_SANDBOX":    "docker",
		"IRONCURTAIN_WORKSPACE":  e.Workspace,
		"IRONCURTAIN_CA_FILE":    e.CAFile,
		"IRONCURTAIN_LLM_PROXY":  e.ProxyURL,
		"IRONCURTAIN_RUN_DIR":    RunDir,
		"IRONCURTAIN_MCP_SOCKET": "",
	}
	if e.MCPCommand != nil {
		env["IRONCURTAIN_MCP_SOCKET"] = RunDir + "/" + mcpSocketName
	}
	if e.ProxyURL != "" {
		// Everything the agent's HTTP clients do goes to the proxy, and
		// the only certificates they trust are the proxy's: there is no
		// other way out, so no other root is needed.
		for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
			env[k] = e.ProxyURL
		}
		env["NO_PROXY"] = "localhost,127.0.0.1,::1"
		env["no_proxy"] = env["NO_PROXY"]
		for _, k := range []string{"NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO", "PIP_CERT", "CODEX_CA_CERTIFICATE"} {
			env[k] = e.CAFile
		}
	}
	for _, list := range [][]string{sb.s.Env, l.Env} {
		for _, kv := range list {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if env[k] != "" {
			out = append(out, k+"="+env[k])
		}
	}
	return out
}

func randomID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// owner identifies this process for LabelOwner.
func owner() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", h, os.Getpid())
}
