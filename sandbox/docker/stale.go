package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/moby/moby/client"
)

// RemoveStale removes the containers that a process on this host made and
// that outlived it — a process killed before it could clean up after its
// runs. Containers of processes still alive, and of other hosts, are left
// alone. Call it at start-up; it returns how many it removed.
func RemoveStale(ctx context.Context, cli *client.Client) (int, error) {
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: client.Filters{}.Add("label", LabelSandbox+"=docker"),
	})
	if err != nil {
		return 0, fmt.Errorf("docker: listing containers: %w", err)
	}
	host, _ := os.Hostname()
	n := 0
	var errs []error
	for _, c := range res.Items {
		if !ownerGone(c.Labels[LabelOwner], host) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// ownerGone reports whether a LabelOwner value names a process of this
// host that no longer runs.
func ownerGone(owner, host string) bool {
	i := strings.LastIndexByte(owner, ':')
	if i < 0 || owner[:i] != host {
		return false
	}
	pid, err := strconv.Atoi(owner[i+1:])
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return false
	}
	return processGone(pid)
}
