package docker

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/client"
)

// BridgePackage is the import path of the bridge, for `go build`.
const BridgePackage = "github.com/ironcurtain-go/ironcurtain/cmd/ironcurtain-bridge"

// LabelImage marks every image [BuildImage] makes.
const LabelImage = "io.ironcurtain.image"

// BuildOptions describes an image for Docker Mode. Tag is required.
type BuildOptions struct {
	// Tag names the image, "ironcurtain-agent:dev".
	Tag string
	// Base is the image to start FROM. Empty means scratch: the bridge,
	// a passwd entry for nobody and the Files, nothing else.
	Base string
	// Steps are Dockerfile lines placed after FROM, such as
	// "RUN npm install -g @anthropic-ai/claude-code@1.2.3". They need
	// Network to download anything.
	Steps []string
	// Network lets Steps reach the network during the build. By default
	// the build has none.
	Network bool
	// Bridge is a prebuilt, static bridge binary for the engine's
	// architecture. Empty means build it now with the Go toolchain
	// (CGO_ENABLED=0 go build BridgePackage), which needs `go` on PATH
	// and this module in the build list of the current directory.
	Bridge string
	// GOARCH is the architecture to build the bridge for. Empty means the
	// engine's.
	GOARCH string
	// Files are further files for the image.
	Files []ImageFile
	// Labels are added to the image.
	Labels map[string]string
	// NoCache builds every step afresh.
	NoCache bool
	// Output receives the build's log. Nil discards it.
	Output io.Writer
}

// ImageFile is one file put in an image.
type ImageFile struct {
	// Path is the absolute path in the image.
	Path string
	// Source is a host file to copy; or set Content.
	Source  string
	Content []byte
	// Mode is the file's mode; zero means 0755 for a Source, 0644 for
	// Content.
	Mode os.FileMode
}

// BuildImage builds an image through the engine's API from a build
// context made in memory (so a remote engine works too) with the classic
// builder, and returns the image's ID. Build failures, a step's included,
// are returned as errors with the builder's message.
func BuildImage(ctx context.Context, cli *client.Client, opts BuildOptions) (string, error) {
	if opts.Tag == "" {
		return "", errors.New("docker: BuildOptions.Tag is required")
	}
	bridge := opts.Bridge
	if bridge == "" {
		dir, err := os.MkdirTemp("", "ironcurtain-bridge-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(dir)
		goarch := opts.GOARCH
		if goarch == "" {
			info, err := cli.Info(ctx, client.InfoOptions{})
			if err != nil {
				return "", fmt.Errorf("docker: asking the engine its architecture: %w", err)
			}
			goarch = goArch(info.Info.Architecture)
		}
		bridge = filepath.Join(dir, "ironcurtain-bridge")
		if err := BuildBridge(ctx, bridge, goarch); err != nil {
			return "", err
		}
	}
	tarball, err := buildContext(opts, bridge)
	if err != nil {
		return "", err
	}
	labels := maps.Clone(opts.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelImage] = "1"
	network := "none"
	if opts.Network {
		network = ""
	}
	res, err := cli.ImageBuild(ctx, bytes.NewReader(tarball), client.ImageBuildOptions{
		Tags:        []string{opts.Tag},
		Dockerfile:  "Dockerfile",
		Remove:      true,
		ForceRemove: true,
		NoCache:     opts.NoCache,
		NetworkMode: network,
		Labels:      labels,
		Version:     build.BuilderV1,
	})
	if err != nil {
		return "", fmt.Errorf("docker: building %s: %w", opts.Tag, err)
	}
	defer res.Body.Close()
	id, err := readBuildStream(res.Body, opts.Output)
	if err != nil {
		return "", fmt.Errorf("docker: building %s: %w", opts.Tag, err)
	}
	return id, nil
}

// BuildBridge builds the bridge as a static Linux binary for goarch at
// out, with the Go toolchain on PATH.
func BuildBridge(ctx context.Context, out, goarch string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, BridgePackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker: building the bridge: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// goArch maps the engine's architecture name to GOARCH.
func goArch(a string) string {
	switch a {
	case "x86_64", "amd64":
		return "amd64"
	case "aarch64", "arm64":
		return "arm64"
	}
	return a
}

// Files of a scratch image that make the nobody user known.
const (
	scratchPasswd = "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/tmp/home:/sbin/nologin\n"
	scratchGroup  = "root:x:0:\nnogroup:x:65534:\n"
)

// buildContext makes the tar build context: a Dockerfile, the bridge and
// the files, with fixed times so that unchanged inputs hit the cache.
func buildContext(opts BuildOptions, bridge string) ([]byte, error) {
	var df strings.Builder
	base := opts.Base
	if base == "" {
		base = "scratch"
	}
	fmt.Fprintf(&df, "FROM %s\n", base)
	for _, st := range opts.Steps {
		if strings.ContainsAny(st, "\r\n") {
			return nil, fmt.Errorf("docker: a build step spans lines: %q", st)
		}
		df.WriteString(st + "\n")
	}
	type entry struct {
		name string
		data []byte
		mode os.FileMode
	}
	bin, err := os.ReadFile(bridge)
	if err != nil {
		return nil, fmt.Errorf("docker: the bridge binary: %w", err)
	}
	entries := []entry{{"bridge", bin, 0o755}}
	fmt.Fprintf(&df, "COPY bridge %s\n", BridgePath)
	if base == "scratch" {
		entries = append(entries, entry{"passwd", []byte(scratchPasswd), 0o644}, entry{"group", []byte(scratchGroup), 0o644})
		df.WriteString("COPY passwd group /etc/\n")
	}
	for i, f := range opts.Files {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || strings.ContainsAny(f.Path, " \t\"\n") {
			return nil, fmt.Errorf("docker: image file path %q: want a clean absolute path without spaces", f.Path)
		}
		data, mode := f.Content, f.Mode
		if f.Source != "" {
			if data, err = os.ReadFile(f.Source); err != nil {
				return nil, fmt.Errorf("docker: image file: %w", err)
			}
			if mode == 0 {
				mode = 0o755
			}
		} else if mode == 0 {
			mode = 0o644
		}
		name := fmt.Sprintf("file-%d", i)
		entries = append(entries, entry{name, data, mode})
		fmt.Fprintf(&df, "COPY %s %s\n", name, f.Path)
	}
	fmt.Fprintf(&df, "ENTRYPOINT [%q]\n", BridgePath)
	entries = append(entries, entry{"Dockerfile", []byte(df.String()), 0o644})

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(0, 0)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: int64(e.mode.Perm()), Size: int64(len(e.data)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// buildMessage is one line of the builder's JSON stream.
type buildMessage struct {
	Stream      string `json:"stream"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux json.RawMessage `json:"aux"`
}

// readBuildStream drains the builder's stream (a build does not finish
// until it is read), copies the log to w, and returns the built image's
// ID or the builder's error.
func readBuildStream(r io.Reader, w io.Writer) (string, error) {
	if w == nil {
		w = io.Discard
	}
	var id string
	var tail []string // the last lines, for an error without detail
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	for sc.Scan() {
		var m buildMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue
		}
		if m.Stream != "" {
			io.WriteString(w, m.Stream)
			tail = append(tail, strings.TrimSpace(m.Stream))
			if len(tail) > 5 {
				tail = tail[1:]
			}
		}
		if m.Error != "" {
			msg := m.Error
			if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
				msg = m.ErrorDetail.Message
			}
			return "", errors.New(msg)
		}
		if len(m.Aux) > 0 {
			var aux struct{ ID string }
			if json.Unmarshal(m.Aux, &aux) == nil && aux.ID != "" {
				id = aux.ID
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf("the builder reported no image (last output: %s)", strings.Join(slices.DeleteFunc(tail, func(s string) bool { return s == "" }), " | "))
	}
	return id, nil
}
