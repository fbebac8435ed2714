package main

import (
	"fmt"
	"io"

	"github.com/ironcurtain-go/ironcurtain/sandbox/codemode"
)

// startCodeMode turns on Code Mode's compiled-code cache in the user's
// cache directory and starts compiling (or loading) the JavaScript engine
// in the background, so that it overlaps with assembling the stack. It
// returns the cache directory, which the caller protects from the agent
// and from the jail, or "" when no cache is used (the reason is printed;
// the engine is then compiled in memory, which is only slower).
func startCodeMode(cmd string, stderr io.Writer) string {
	dir, err := codemode.CacheDir()
	if err == nil {
		err = codemode.UseCache(dir)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ironcurtain %s: no compiled-code cache: %v\n", cmd, err)
		dir = ""
	}
	go func() { _ = codemode.Precompile() }()
	return dir
}
