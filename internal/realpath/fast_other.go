//go:build !linux

package realpath

func isCanonical(string) bool { return false }
