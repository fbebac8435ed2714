package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/ironcurtain-go/ironcurtain"
)

// browser returns a headless Chromium context, or skips the test when no
// Chromium is installed — unless IRONCURTAIN_REQUIRE_BROWSER=1 (as .ci/run
// sets), which makes a missing browser a failure.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("IRONCURTAIN_REQUIRE_BROWSER") == "1" {
			t.Fatal("no Chromium is installed (apt-get install chromium), and IRONCURTAIN_REQUIRE_BROWSER=1 forbids skipping")
		}
		t.Skip("no Chromium is installed (apt-get install chromium); IRONCURTAIN_REQUIRE_BROWSER=1 turns this skip into a failure")
	}
	dir := t.TempDir()
	// Chromium puts its singleton socket in TMPDIR, and a Unix socket's
	// path must fit in 108 bytes: a test's own temporary directory can be
	// longer (CI nests it), so the browser gets a short one of its own.
	short, err := os.MkdirTemp("/tmp", "icb-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(short) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.NoSandbox, // tests may run as root, where Chromium refuses its sandbox
		chromedp.Flag("disable-crash-reporter", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Env("TMPDIR="+short, "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_CACHE_HOME="+dir),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelT()
		cancelC()
		cancelA()
	})
	require.NoError(t, chromedp.Do(ctx), "starting %s", path)
	return ctx
}

// TestBrowserApprovesAndDenies drives the page in a real browser: an
// escalation is approved, one that arrives while the page is open (a live
// update) and carries markup in its arguments is denied and shows that
// markup as text, one is approved with a grant, and the grant is revoked.
func TestBrowserApprovesAndDenies(t *testing.T) {
	ctx := browser(t)
	f := start(t)
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return v
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, steps...))
	}

	first, firstOut := f.escalate(escalation("/w/notes.txt", "hello"))
	card := `article.escalation[data-id="` + first.ID + `"]`
	do(chromedp.Navigate(f.srv.URL()), chromedp.WaitVisible(chromedp.CSS(card)))
	require.Equal(t, "/w/notes.txt", text(card+` .resource .value`))
	require.Equal(t, "sha256:"+first.Presentation.Digest, text(card+` .digest .value`))
	require.Equal(t, "escalate-writes", text(card+` .rule .value`))
	do(chromedp.Click(chromedp.CSS(card + ` button.approve-once`)))
	a := <-firstOut
	require.Equal(t, ironcurtain.Approve, a.Answer)
	require.Equal(t, "web", a.By)
	require.Equal(t, first.Presentation.Digest, a.Arguments)
	require.Nil(t, a.Grant)

	// Arrives while the page is open; its argument tries to break out.
	second, secondOut := f.escalate(escalation("/w/evil.txt", xss+"\u202e"))
	card = `article.escalation[data-id="` + second.ID + `"]`
	do(chromedp.WaitVisible(chromedp.CSS(card)))
	require.Equal(t, xss+`\u202e`, text(card+` .arg[data-name="content"] .value`), "the markup shows as text, the bidi override as an escape")
	imgs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("img").length`))
	require.NoError(t, err)
	require.Zero(t, imgs)
	scripts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("script").length`))
	require.NoError(t, err)
	require.Equal(t, 1, scripts) // the page's own
	pwned, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.pwned !== undefined`))
	require.NoError(t, err)
	require.False(t, pwned)
	do(chromedp.Click(chromedp.CSS(card + ` button.deny`)))
	a = <-secondOut
	require.Equal(t, ironcurtain.Reject, a.Answer)
	require.Equal(t, "web", a.By)

	// Approve with a scope and a time limit; the grant appears; revoke it.
	third, thirdOut := f.escalate(escalation("/w/d/a.txt", "x"))
	card = `article.escalation[data-id="` + third.ID + `"]`
	do(chromedp.WaitVisible(chromedp.CSS(card)),
		chromedp.SetValue(chromedp.CSS(card+` select.ttl`), "900"),
		chromedp.Click(chromedp.CSS(card+` button.approve-scoped`)))
	a = <-thirdOut
	require.Equal(t, ironcurtain.Approve, a.Answer)
	require.NotNil(t, a.Grant)
	require.Equal(t, 15*time.Minute, a.Grant.TTL)
	row := `tr.grant[data-id="` + a.Grant.ID + `"]`
	do(chromedp.WaitVisible(chromedp.CSS(row)))
	require.Equal(t, "write-path within /w/d", text(row+` td.value`))
	do(chromedp.Click(chromedp.CSS(row+` button.revoke`)), chromedp.WaitNotPresent(chromedp.CSS(`tr.grant`)))
	require.Empty(t, f.broker.Grants())
	require.Empty(t, f.broker.Pending())
}
