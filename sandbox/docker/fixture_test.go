package docker

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/ironcurtain-go/ironcurtain"
	"github.com/ironcurtain-go/ironcurtain/internal/syncbuf"
	"github.com/ironcurtain-go/ironcurtain/proxy/llm"
	"github.com/ironcurtain-go/ironcurtain/vault"
	"github.com/stretchr/testify/require"
)

// The real keys. Nothing in the container may ever see them.
const (
	realAnthropic = "sk-ant-api03-REAL-docker-test-key-0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
	realOpenAI    = "sk-proj-REAL-docker-test-key-0123456789abcdefghijklmnopqrstuvwxyz"
)

// notes is the test's tool server: read_note and push_note.
type notes struct{}

func (notes) Tools(context.Context) ([]ironcurtain.Tool, error) {
	return []ironcurtain.Tool{
		{Name: "read_note", Description: "Read a note.", InputSchema: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}`)},
		{Name: "push_note", Description: "Push a note to a remote.", InputSchema: json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"},"remote":{"type":"string"}},"required":["name","remote"]}`)},
	}, nil
}

func (notes) Call(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Result, error) {
	name, _ := call.Arguments["name"].(string)
	switch call.Tool {
	case "read_note":
		if name == "todo" {
			return ironcurtain.TextResult("buy milk"), nil
		}
		return ironcurtain.ErrorResult("no note " + name), nil
	case "push_note":
		remote, _ := call.Arguments["remote"].(string)
		return ironcurtain.TextResult("pushed " + name + " to " + remote), nil
	}
	return ironcurtain.ErrorResult("no such tool"), nil
}

// notesPolicy denies private notes and escalates every push.
type notesPolicy struct{}

func (notesPolicy) Evaluate(_ context.Context, call ironcurtain.ToolCall) (ironcurtain.Decision, error) {
	name, _ := call.Arguments["name"].(string)
	switch {
	case call.Tool == "push_note":
		return ironcurtain.Decision{Verdict: ironcurtain.Escalate, Rule: "push-needs-approval", Reason: "pushing needs approval"}, nil
	case strings.HasPrefix(name, "private-"):
		return ironcurtain.Decision{Verdict: ironcurtain.Deny, Rule: "no-private-notes", Reason: "private notes are off limits"}, nil
	}
	return ironcurtain.Decision{Verdict: ironcurtain.Allow, Rule: "allow-notes", Reason: "notes may be read"}, nil
}

// world is everything on the host side of a test run: the Gate, the LLM
// proxy with its fake upstream, and every log and audit record.
type world struct {
	gate     *ironcurtain.Gate
	llm      *llm.Proxy
	logs     *syncbuf.Buffer
	logger   *slog.Logger
	asked    chan ironcurtain.Escalation
	mu       sync.Mutex
	audit    []llm.Record
	gateLog  []ironcurtain.AuditEntry
	upstream *httptest.Server
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{logs: &syncbuf.Buffer{}, asked: make(chan ironcurtain.Escalation, 16)}
	w.logger = slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	gate, err := ironcurtain.NewGate(ironcurtain.GateConfig{
		Servers: map[string]ironcurtain.ToolServer{"notes": notes{}},
		Policy:  notesPolicy{},
		Approver: ironcurtain.ApproverFunc(func(_ context.Context, esc ironcurtain.Escalation) (ironcurtain.Approval, error) {
			select {
			case w.asked <- esc:
			default:
			}
			if esc.Call.Arguments["remote"] == "origin" {
				return ironcurtain.Approval{Answer: ironcurtain.Approve, By: "test", Reason: "origin is fine"}, nil
			}
			return ironcurtain.Approval{Answer: ironcurtain.Reject, By: "test", Reason: "only origin"}, nil
		}),
		Audit: ironcurtain.AuditorFunc(func(_ context.Context, e ironcurtain.AuditEntry) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.gateLog = append(w.gateLog, e)
			return nil
		}),
		Logger: w.logger,
	})
	require.NoError(t, err)
	t.Cleanup(func() { gate.Close() })
	w.gate = gate

	// The fake API: it answers only requests that carry the real key.
	upCA, err := llm.NewCA()
	require.NoError(t, err)
	w.upstream = httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != realAnthropic {
			http.Error(rw, "fake upstream: not the real key", http.StatusUnauthorized)
			return
		}
		if strings.Contains(r.URL.RawQuery, "beta=true") {
			rw.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(rw, "event: message_start\ndata: {}\n\n")
			http.NewResponseController(rw).Flush()
			io.WriteString(rw, "event: message_stop\ndata: {}\n\n")
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		io.WriteString(rw, `{"content":[{"type":"text","text":"answered with the real key"}]}`)
	}))
	w.upstream.TLS = &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) { return upCA.Leaf(h.ServerName) }}
	w.upstream.StartTLS()
	t.Cleanup(w.upstream.Close)
	addr := w.upstream.Listener.Addr().String()

	ca, err := llm.NewCA()
	require.NoError(t, err)
	w.llm, err = llm.New(llm.Options{
		CA: ca,
		Vault: vault.Map{
			"ANTHROPIC_API_KEY": ironcurtain.NewSecret(realAnthropic),
			"OPENAI_API_KEY":    ironcurtain.NewSecret(realOpenAI),
		},
		Providers: []llm.Provider{llm.Anthropic(), llm.OpenAI()},
		// Every provider host resolves to the fake upstream.
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
			TLSClientConfig: &tls.Config{RootCAs: upCA.Pool()},
		},
		Audit: func(r llm.Record) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.audit = append(w.audit, r)
		},
		Logger: w.logger,
	})
	require.NoError(t, err)
	return w
}

func (w *world) records() ([]llm.Record, []ironcurtain.AuditEntry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]llm.Record(nil), w.audit...), append([]ironcurtain.AuditEntry(nil), w.gateLog...)
}

// workspace returns a workspace directory owned by nobody, as an agent
// running as nobody needs it when the tests run as root.
func workspace(t testing.TB) string {
	t.Helper()
	if os.Getuid() == 0 {
		// git runs as the agent's user and must reach the workspace and
		// its server's private directory on the host: both go in a
		// directory everyone may search, whatever the test's TMPDIR.
		reach, err := os.MkdirTemp("/tmp", "ic-reach-")
		require.NoError(t, err)
		require.NoError(t, os.Chmod(reach, 0o755))
		t.Cleanup(func() { os.RemoveAll(reach) })
		t.Setenv("TMPDIR", reach)
	}
	dir, err := os.MkdirTemp("", "ic-ws-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Getuid() == 0 {
		require.NoError(t, os.Chown(dir, 65534, 65534))
	}
	return dir
}
