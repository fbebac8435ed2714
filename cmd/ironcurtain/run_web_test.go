package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain/internal/llmtest"
)

// TestRunWebApprover: with --approver web, run prints the approval page's
// URL, and an escalated call waits for the page: approved there (bound to
// the digest the page showed), it runs.
func TestRunWebApprover(t *testing.T) {
	var e *runEnv
	var mu sync.Mutex
	loop := 0
	e = newRunEnv(t, func(n int, r llmtest.Request) llmtest.Reply {
		mu.Lock()
		defer mu.Unlock()
		loop++
		if loop == 1 {
			return say(llmtest.Code(`return filesystem.read_text_file({ path: "`+e.outside+`/secret.txt" });`), 100, 10)
		}
		return say("done", 100, 10)
	})
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), e.args("Read "+e.outside+"/secret.txt", "--approver", "web"), strings.NewReader(""), &stdout, &stderr)
	}()
	var page *url.URL
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`approve escalations at (http://\S+)`).FindStringSubmatch(stderr.String())
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
	select {
	case code := <-done:
		require.Equal(t, 0, code, "%s\n%s", stdout.String(), stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("run did not end after the approval")
	}
	require.Contains(t, stdout.String(), "1 escalated (1 approved)")
	require.Contains(t, e.srv.Requests()[1].Last(), "not for the agent", "the approved read ran")
}
