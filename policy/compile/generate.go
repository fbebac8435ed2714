package compile

// The embedded default policy is this compiler's output for the default
// constitution; TestDefaultsUpToDate fails when they drift apart.
//go:generate go run ./internal/gendefaults -dir ../defaults
