//go:build !linux

package jail

// runProbe has nothing to probe without Linux.
func runProbe(args []string) []string { return []string{"unsupported"} }
