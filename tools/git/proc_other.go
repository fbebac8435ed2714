//go:build !unix

package git

import "os/exec"

// canRunAs: Options.RunAs is not supported.
const canRunAs = false

// configureProcess keeps os/exec's default cancellation (killing git
// itself) where process groups are not available.
func configureProcess(*exec.Cmd, *User) {}

// unsearchable: RunAs is refused before this is asked.
func unsearchable(string, *User) string { return "" }
