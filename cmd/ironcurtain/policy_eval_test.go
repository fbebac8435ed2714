package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/stretchr/testify/require"
)

// TestPolicyEvalKeepsOrder: lines decided in parallel come out in the
// order they went in, each with its own decision.
func TestPolicyEvalKeepsOrder(t *testing.T) {
	sb := t.TempDir()
	var in strings.Builder
	var want []string
	for i := range 3000 {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&in, `{"server":"filesystem","tool":"read_file","arguments":{"path":%q}}`+"\n", filepath.Join(sb, fmt.Sprint(i)))
			want = append(want, "structural-sandbox-allow")
		case 1:
			fmt.Fprintf(&in, `{"server":"nope%d","tool":"x","arguments":{}}`+"\n", i)
			want = append(want, "structural-unknown-tool")
		case 2:
			in.WriteString("garbage\n\n")
			want = append(want, "invalid-request")
		}
	}
	code, out, errOut := runCLI(t, in.String(), "policy", "eval", "--sandbox", sb)
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(want))
	for i, l := range lines {
		var r map[string]string
		require.NoError(t, json.Unmarshal([]byte(l), &r))
		require.Equal(t, want[i], r["rule"], "line %d: %s", i+1, l)
		if i%3 == 1 {
			require.Contains(t, r["reason"], fmt.Sprintf("nope%d", i), "line %d's own decision", i+1)
		}
	}
}

// TestPolicyEvalAnswersEachLine: a caller that writes one line and waits
// gets its answer before writing the next.
func TestPolicyEvalAnswersEachLine(t *testing.T) {
	e, err := policy.Default(policy.Config{Sandbox: t.TempDir()})
	require.NoError(t, err)
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- evalLines(context.Background(), e, inR, outW, io.Discard, false)
		_ = outW.Close()
	}()
	answers := bufio.NewReader(outR)
	for i := range 3 {
		_, err := fmt.Fprintf(inW, `{"server":"nope%d","tool":"x","arguments":{}}`+"\n", i)
		require.NoError(t, err)
		line, err := answers.ReadString('\n')
		require.NoError(t, err)
		require.Contains(t, line, fmt.Sprintf("nope%d", i))
	}
	require.NoError(t, inW.Close())
	require.Equal(t, 0, <-done)
}
