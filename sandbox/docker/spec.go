package docker

import (
	"fmt"
	"maps"
	"strconv"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
)

// hostname is the container's host name: fixed, so it tells the agent
// nothing about the host.
const hostname = "sandbox"

// spec is what one run's container is created from.
type spec struct {
	name   string
	config *container.Config
	host   *container.HostConfig
}

// containerSpec builds the container for one run: argv under the bridge,
// env, the run directory on the host (mounted read-only at RunDir) and
// the labels.
func (s *settings) containerSpec(name, runID, session, hostRunDir string, argv, env []string) spec {
	labels := maps.Clone(s.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelSandbox] = "docker"
	labels[LabelRun] = runID
	labels[LabelSession] = session
	labels[LabelOwner] = owner()
	labels["io.ironcurtain.adapter"] = s.Adapter.Name()

	workdir := Home
	mounts := []mount.Mount{{
		Type:        mount.TypeBind,
		Source:      hostRunDir,
		Target:      RunDir,
		ReadOnly:    true,
		BindOptions: &mount.BindOptions{Propagation: mount.PropagationRPrivate},
	}}
	if s.Workspace != "" {
		workdir = WorkspaceDir
		mounts = append(mounts, mount.Mount{
			Type:        mount.TypeBind,
			Source:      s.Workspace,
			Target:      WorkspaceDir,
			ReadOnly:    s.WorkspaceReadOnly,
			BindOptions: &mount.BindOptions{Propagation: mount.PropagationRPrivate},
		})
	}
	tmpOpts := "rw,nosuid,nodev,mode=1777,size=" + strconv.FormatInt(s.TmpSize, 10)
	if !s.TmpExec {
		tmpOpts += ",noexec"
	}
	init := true
	pids := s.Pids
	return spec{
		name: name,
		config: &container.Config{
			Image: s.Image,
			// The bridge is the entrypoint whatever the image says, and
			// the image's CMD is not used.
			Entrypoint:      argv,
			Env:             env,
			User:            s.User,
			WorkingDir:      workdir,
			Hostname:        hostname,
			Labels:          labels,
			NetworkDisabled: true,
			AttachStdout:    true,
			AttachStderr:    true,
		},
		host: &container.HostConfig{
			NetworkMode:    "none",
			CapDrop:        []string{"ALL"},
			SecurityOpt:    []string{"no-new-privileges:true"},
			ReadonlyRootfs: true,
			Privileged:     false,
			Init:           &init,
			IpcMode:        container.IPCModePrivate,
			// The legacy Tmpfs field, because TmpfsOptions.Options (for
			// noexec) needs API 1.46 and older engines ignore it silently.
			Tmpfs:  map[string]string{"/tmp": tmpOpts},
			Mounts: mounts,
			// Output is read live through attach; nothing is logged to the
			// engine's disk, where an agent could fill it.
			LogConfig: container.LogConfig{Type: "none"},
			Resources: container.Resources{
				Memory:     s.Memory,
				MemorySwap: s.Memory,
				NanoCPUs:   int64(s.CPUs * 1e9),
				PidsLimit:  &pids,
				Ulimits: []*container.Ulimit{
					{Name: "nofile", Soft: s.NoFile, Hard: s.NoFile},
					{Name: "core", Soft: 0, Hard: 0},
				},
			},
		},
	}
}

// bridgeArgv is the container's command: the bridge's run mode around the
// agent's command.
func bridgeArgv(l Launch, withLLM bool) []string {
	argv := []string{BridgePath, "run"}
	if withLLM {
		argv = append(argv, "-listen", LLMListen, "-socket", RunDir+"/"+llmSocketName)
	} else {
		argv = append(argv, "-listen", "")
	}
	for _, f := range l.Files {
		if f.CopyTo != "" {
			argv = append(argv, "-copy", fmt.Sprintf("%s:%s", f.Path(), f.CopyTo))
		}
	}
	argv = append(argv, "--")
	return append(argv, l.Command...)
}
