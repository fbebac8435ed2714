package docker

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBuildContext(t *testing.T) {
	dir := t.TempDir()
	bridge := filepath.Join(dir, "bridge")
	require.NoError(t, os.WriteFile(bridge, []byte("ELF"), 0o755))
	agent := filepath.Join(dir, "agent")
	require.NoError(t, os.WriteFile(agent, []byte("AGENT"), 0o700))
	tb, err := buildContext(BuildOptions{Tag: "t", Files: []ImageFile{
		{Path: "/usr/local/bin/agent", Source: agent},
		{Path: "/etc/agent.json", Content: []byte("{}")},
	}}, bridge)
	require.NoError(t, err)
	files := map[string]string{}
	modes := map[string]int64{}
	tr := tar.NewReader(bytes.NewReader(tb))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
		modes[h.Name] = h.Mode
	}
	require.Equal(t, "ELF", files["bridge"])
	require.Equal(t, int64(0o755), modes["bridge"])
	require.Equal(t, "AGENT", files["file-0"])
	require.Equal(t, int64(0o755), modes["file-0"])
	require.Equal(t, int64(0o644), modes["file-1"])
	require.Contains(t, files["passwd"], "nobody:x:65534:65534")
	require.Equal(t, `FROM scratch
COPY bridge /usr/local/bin/ironcurtain-bridge
COPY passwd group /etc/
COPY file-0 /usr/local/bin/agent
COPY file-1 /etc/agent.json
ENTRYPOINT ["/usr/local/bin/ironcurtain-bridge"]
`, files["Dockerfile"])

	tb, err = buildContext(BuildOptions{Tag: "t", Base: "node:22-slim", Steps: []string{"RUN npm install -g @anthropic-ai/claude-code@1.0.0"}}, bridge)
	require.NoError(t, err)
	require.Contains(t, string(tb), "FROM node:22-slim\nRUN npm install -g @anthropic-ai/claude-code@1.0.0\nCOPY bridge")
	require.NotContains(t, string(tb), "COPY passwd", "a real base has its own users")

	for _, bad := range []BuildOptions{
		{Steps: []string{"RUN a\nRUN b"}},
		{Files: []ImageFile{{Path: "relative", Content: nil}}},
		{Files: []ImageFile{{Path: "/a/../b", Content: nil}}},
		{Files: []ImageFile{{Path: "/a b", Content: nil}}},
	} {
		_, err := buildContext(bad, bridge)
		require.Error(t, err)
	}
}

func TestReadBuildStream(t *testing.T) {
	var log bytes.Buffer
	id, err := readBuildStream(strings.NewReader(`{"stream":"Step 1/2 : FROM scratch\n"}
{"stream":" ---\u003e \n"}
{"aux":{"ID":"sha256:abc"}}
{"stream":"Successfully built abc\n"}
`), &log)
	require.NoError(t, err)
	require.Equal(t, "sha256:abc", id)
	require.Contains(t, log.String(), "Step 1/2")

	_, err = readBuildStream(strings.NewReader(`{"stream":"Step 2/2 : RUN false\n"}
{"errorDetail":{"code":1,"message":"The command '/bin/sh -c false' returned a non-zero code: 1"},"error":"The command returned a non-zero code: 1"}
`), nil)
	require.ErrorContains(t, err, "/bin/sh -c false")

	_, err = readBuildStream(strings.NewReader(`{"stream":"half a build"}`), nil)
	require.ErrorContains(t, err, "half a build")
}

// A failing step surfaces the builder's message.
func TestBuildImageFailure(t *testing.T) {
	cli := requireEngine(t)
	dir := t.TempDir()
	bridge := filepath.Join(dir, "bridge")
	require.NoError(t, os.WriteFile(bridge, []byte("not really"), 0o755))
	_, err := BuildImage(t.Context(), cli, BuildOptions{
		Tag:    "ironcurtain-test-broken:" + testRun,
		Bridge: bridge,
		Files:  []ImageFile{{Path: "/x", Source: filepath.Join(dir, "missing")}},
		Labels: map[string]string{testLabel: testRun},
	})
	require.Error(t, err)
	_, err = BuildImage(t.Context(), cli, BuildOptions{
		Tag:    "ironcurtain-test-broken:" + testRun,
		Bridge: bridge,
		Steps:  []string{"RUN /bin/false"}, // scratch has no shell
		Labels: map[string]string{testLabel: testRun},
	})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "no image", "the builder's own message")
}

// FuzzReadBuildStream: whatever the engine streams, the reader returns
// either an error or an image ID, never an empty one, and copies no more
// log than the stream held (each byte of invalid UTF-8 may come out as the
// three bytes of U+FFFD).
func FuzzReadBuildStream(f *testing.F) {
	f.Add("{\"stream\":\"Step 1/1 : FROM scratch\\n\"}\n{\"aux\":{\"ID\":\"sha256:abc\"}}\n")
	f.Add("{\"stream\":\"x\"}\n{\"error\":\"boom\",\"errorDetail\":{\"message\":\"boom!\"}}\n")
	f.Add("not json\n{\"aux\":[1]}\n{\"aux\":{\"ID\":\"\"}}")
	f.Fuzz(func(t *testing.T, stream string) {
		var log bytes.Buffer
		id, err := readBuildStream(strings.NewReader(stream), &log)
		if err == nil && id == "" {
			t.Fatalf("no error and no image from %q", stream)
		}
		if log.Len() > 3*len(stream) {
			t.Fatalf("%d bytes of log from a %d-byte stream", log.Len(), len(stream))
		}
	})
}
