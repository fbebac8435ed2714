package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ironcurtain-go/ironcurtain/internal/syncbuf"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/internal/llmtest"
)

// bgRun is an ironcurtain run going on in the background.
type bgRun struct {
	stdout, stderr syncbuf.Buffer
	done           chan int
}

// startRun starts ironcurtain run with args and no standard input.
func startRun(args []string) *bgRun {
	r := &bgRun{done: make(chan int, 1)}
	go func() { r.done <- run(context.Background(), args, strings.NewReader(""), &r.stdout, &r.stderr) }()
	return r
}

// waitOK requires the run to end, successfully, soon after what the test
// did last.
func (r *bgRun) waitOK(t *testing.T, after string) {
	t.Helper()
	select {
	case code := <-r.done:
		require.Equal(t, 0, code, "%s\n%s", r.stdout.String(), r.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("run did not end after %s", after)
	}
}

// TestRunWebApprover: with --approver web, run prints the approval page's
// URL, and an escalated call waits for the page: approved there (bound to
// the digest the page showed), it runs.
func TestRunWebApprover(t *testing.T) {
	var e *runEnv
	e = newRunEnv(t, firstThen(func() llmtest.Reply { return say(readSecret(e.outside), 100, 10) }, say("done", 100, 10)))
	r := startRun(e.args("Read "+e.outside+"/secret.txt", "--approver", "web"))
	var page *url.URL
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`approve escalations at (http://\S+)`).FindStringSubmatch(r.stderr.String())
		if m == nil {
			return false
		}
		var err error
		page, err = url.Parse(m[1])
		require.NoError(t, err)
		return true
	}, 20*time.Second, 10*time.Millisecond, "the page's URL is printed")
	token := page.Query().Get("token")
	var pending []struct {
		ID           string `json:"id"`
		Presentation struct{ Digest string }
	}
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest("GET", "http://"+page.Host+"/api/state", nil)
		req.Header.Set("X-IronCurtain-Token", token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var st struct {
			Pending json.RawMessage `json:"pending"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
		require.NoError(t, json.Unmarshal(st.Pending, &pending))
		return len(pending) == 1
	}, 20*time.Second, 10*time.Millisecond, "the escalation reaches the page")
	pageDecide(t, page, `{"id":"`+pending[0].ID+`","decision":"approve","digest":"`+pending[0].Presentation.Digest+`"}`)
	r.waitOK(t, "the approval")
	require.Contains(t, r.stdout.String(), "1 escalated (1 approved)")
	require.Contains(t, e.srv.Requests()[1].Last(), "not for the agent", "the approved read ran")
}

// TestRunEscalationSocket: with --escalation-socket beside the terminal, a
// program of its own answers an escalation over the socket, and the run
// goes on with its approval.
func TestRunEscalationSocket(t *testing.T) {
	var e *runEnv
	e = newRunEnv(t, firstThen(func() llmtest.Reply { return say(readSecret(e.outside), 100, 10) }, say("done", 100, 10)))
	dir, err := os.MkdirTemp("", "ic") // short: a socket's path is bounded
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "esc.sock")
	r := startRun(e.args("Read "+e.outside+"/secret.txt", "--approver", "terminal", "--escalation-socket", sock))
	var c net.Conn
	require.Eventually(t, func() bool {
		var err error
		c, err = net.Dial("unix", sock)
		return err == nil
	}, 20*time.Second, 10*time.Millisecond, "the socket is served")
	defer c.Close()
	fi, err := os.Stat(sock)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	sc := bufio.NewScanner(c)
	sc.Buffer(nil, 1<<20)
	// Subscribed first, then asked what is pending: an escalation raised
	// before the subscription is in the pending reply, a later one an event.
	_, err = io.WriteString(c, `{"op":"subscribe"}`+"\n"+`{"op":"pending"}`+"\n")
	require.NoError(t, err)
	type pending struct {
		ID           string                  `json:"id"`
		Presentation struct{ Digest string } `json:"presentation"`
	}
	var esc struct {
		Event      string    `json:"event"`
		Escalation pending   `json:"escalation"`
		Reply      string    `json:"reply"`
		Pending    []pending `json:"pending"`
	}
	for esc.Event != "escalation" {
		require.True(t, sc.Scan(), "the escalation reaches the socket: %v", sc.Err())
		require.NoError(t, json.Unmarshal(sc.Bytes(), &esc))
		if esc.Reply == "pending" && len(esc.Pending) > 0 {
			esc.Escalation = esc.Pending[0]
			break
		}
	}
	_, err = fmt.Fprintf(c, `{"op":"decide","id":%q,"decision":"approve","digest":%q}`+"\n", esc.Escalation.ID, esc.Escalation.Presentation.Digest)
	require.NoError(t, err)
	r.waitOK(t, "the approval")
	require.Contains(t, r.stdout.String(), "approve by socket")
	require.Contains(t, r.stdout.String(), "1 escalated (1 approved)")
	require.Contains(t, e.srv.Requests()[1].Last(), "not for the agent", "the approved read ran")
}
