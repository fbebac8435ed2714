package policy

import (
	_ "embed"
	"sync"
)

// The default policy, embedded: our own constitution, its compiled rules
// for the built-in filesystem, git and fetch servers, the annotations of all
// 44 built-in tools, and the one dynamic list the rules use.
var (
	//go:embed defaults/constitution.md
	defaultConstitution string
	//go:embed defaults/compiled-policy.json
	defaultPolicy []byte
	//go:embed defaults/tool-annotations.json
	defaultAnnotations []byte
	//go:embed defaults/dynamic-lists.json
	defaultLists []byte
)

// DefaultConstitution returns the text of the default constitution.
func DefaultConstitution() string { return defaultConstitution }

// DefaultArtifacts returns a fresh copy of the default policy's artifacts.
func DefaultArtifacts() Artifacts {
	a, err := ReadArtifacts(defaultPolicy, defaultAnnotations, defaultLists)
	if err != nil {
		panic("policy: embedded default policy does not decode: " + err.Error())
	}
	return a
}

// DefaultAnnotations returns a fresh copy of the annotations of the 44
// built-in tools, for use with a policy of one's own.
func DefaultAnnotations() *Annotations { return DefaultArtifacts().Annotations }

// sharedDefaults are the default artifacts decoded once per process, for
// the engines Load and Default build: New only reads the artifacts it is
// given, so the engines of one process share one copy, and decoding them
// is no longer most of what loading the default policy costs. They come
// from the binary, never from disk.
var sharedDefaults = sync.OnceValue(DefaultArtifacts)

// Default returns an engine for the default policy under cfg.
func Default(cfg Config) (*Engine, error) {
	return New(sharedDefaults(), cfg)
}
