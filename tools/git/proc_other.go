//go:build !unix

package git

import "os/exec"

// configureProcess keeps os/exec's default cancellation (killing git
// itself) where process groups are not available.
func configureProcess(*exec.Cmd) {}
