package codemode

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/fastschema/qjs"
	"github.com/stretchr/testify/require"
)

// rawEval runs src in a bare runtime, without the prelude, as a script
// that got past every JavaScript-level defence would: std, os and their
// imports are all there. It reports the value as JSON, or the error.
func rawEval(t *testing.T, src string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := newOutput(1 << 10)
	rt, err := newRuntime(ctx, &cappedMemory{limit: 32 << 20}, out)
	require.NoError(t, err)
	defer func() { _ = closeRuntime(rt) }()
	var res string
	err = guard(func() error {
		v, err := rt.Context().Eval("raw.js", qjs.Code(src), qjs.FlagAsync())
		if err != nil {
			return err
		}
		defer v.Free()
		res, err = v.JSONStringify()
		return err
	})
	return res, err
}

// TestEngineMountsNothing proves the second line of defence: even with
// std and os in hand, a script finds no file system. The first touch of
// one kills the runtime (the mount is below os.DevNull, which is not a
// directory), and nothing on the host is read or written.
func TestEngineMountsNothing(t *testing.T) {
	before := hostSnapshot(t)
	for name, src := range map[string]string{
		"std.loadFile":    `std.loadFile("/etc/hostname")`,
		"std.loadFile ..": `std.loadFile("/../../../../etc/hostname")`,
		"std.open write":  `const f = std.open("/written-by-js.txt", "w"); f.puts("x"); f.close(); 1`,
		"os.open":         `os.open("/x", os.O_CREAT | os.O_WRONLY)`,
		"os.readdir":      `os.readdir("/")`,
		"os.stat":         `os.stat("/etc/passwd")`,
		"os.mkdir":        `os.mkdir("/made-by-js")`,
		"import module":   `await import("./secret.js")`,
		"import std":      `const m = await import("qjs:std"); m.loadFile("/etc/hostname")`,
	} {
		t.Run(name, func(t *testing.T) {
			res, err := rawEval(t, src)
			var pe *panicError
			require.ErrorAs(t, err, &pe, "result %s", res)
			require.ErrorIs(t, err, errNotDir)
		})
	}
	require.Equal(t, before, hostSnapshot(t))
	_, err := os.Stat(voidRoot)
	require.Error(t, err)
}

// errNotDir is how wazero reports the mount: the guest never gets a
// directory at all.
var errNotDir = notDirErr()

func notDirErr() error {
	_, err := os.Open(voidRoot)
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func TestEngineEmptyEnvironment(t *testing.T) {
	t.Setenv("IRONCURTAIN_CODEMODE_SECRET", "hunter2")
	res, err := rawEval(t, `[std.getenviron(), std.getenv("HOME") ?? null, std.getenv("IRONCURTAIN_CODEMODE_SECRET") ?? null]`)
	require.NoError(t, err)
	require.JSONEq(t, `[{},null,null]`, res)
}

func TestEngineExit(t *testing.T) {
	_, err := rawEval(t, `std.exit(3)`)
	code, ok := exitCode(err)
	require.True(t, ok, "%v", err)
	require.EqualValues(t, 3, code)
}

func TestEngineOutputCaptured(t *testing.T) {
	ctx := context.Background()
	out := newOutput(1 << 10)
	rt, err := newRuntime(ctx, &cappedMemory{limit: 32 << 20}, out)
	require.NoError(t, err)
	defer func() { _ = closeRuntime(rt) }()
	require.NoError(t, guard(func() error {
		v, err := rt.Context().Eval("raw.js", qjs.Code(`print("via print"); std.out.puts("via std.out\n"); std.err.puts("via std.err\n"); console.log("via console"); 1`))
		if err == nil {
			v.Free()
		}
		return err
	}))
	// std.out is buffered, so the order of the lines may differ.
	require.ElementsMatch(t, []string{"via print", "via std.out", "via std.err", "via console"}, out.snapshot())
}

func TestJSUndefined(t *testing.T) {
	rt, err := newRuntime(context.Background(), &cappedMemory{limit: 8 << 20}, newOutput(10))
	require.NoError(t, err)
	defer func() { _ = closeRuntime(rt) }()
	require.EqualValues(t, jsUndefined, rt.Context().Call("JS_NewUndefined").Raw())
}

func TestCappedMemory(t *testing.T) {
	hits := 0
	m := &cappedMemory{limit: 4 * pageSize, onLimit: func() { hits++ }}
	require.Len(t, m.Reallocate(pageSize), pageSize)
	b := m.Reallocate(2 * pageSize)
	require.Len(t, b, 2*pageSize)
	b[2*pageSize-1] = 7
	b = m.Reallocate(4 * pageSize)
	require.Len(t, b, 4*pageSize)
	require.Equal(t, byte(7), b[2*pageSize-1], "contents survive growth")
	require.LessOrEqual(t, cap(b), 4*pageSize)
	require.Nil(t, m.Reallocate(5*pageSize))
	require.Nil(t, m.Reallocate(6*pageSize))
	require.True(t, m.refused.Load())
	require.Equal(t, 1, hits)
	require.EqualValues(t, 4*pageSize, m.peak)
}
