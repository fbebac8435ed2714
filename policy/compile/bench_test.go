package compile_test

import (
	"context"
	"testing"

	"github.com/ironcurtain-go/ironcurtain/policy"
	"github.com/ironcurtain-go/ironcurtain/policy/compile"
)

// BenchmarkCompileDefault compiles the default constitution with no model:
// parse, lower, order, derive scenarios and replay them on the engine.
// The target is well under 100 ms.
func BenchmarkCompileDefault(b *testing.B) {
	src := []byte(policy.DefaultConstitution())
	opts := compile.Options{Lists: policy.DefaultArtifacts().Lists}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compile.Compile(context.Background(), src, opts); err != nil {
			b.Fatal(err)
		}
	}
}
