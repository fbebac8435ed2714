package codemode

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"reflect"
	"sync"
	"unsafe"

	_ "github.com/fastschema/qjs" // the variables below are qjs's
	"github.com/tetratelabs/wazero"
)

// qjs v0.0.6 compiles qjs.wasm once per process into package variables,
// and can be pointed at a cache only by directory name, which gives the
// unchecked wazero cache (see cache.go). installModule compiles the module
// itself, with a wazero cache whose storage is [fileCache], and stores the
// result where qjs.New looks first. The names are qjs's unexported
// variables, pulled in with go:linkname; qjs is pinned, a renamed variable
// fails the build, and TestCacheHitAndPlant fails if qjs stops using what
// is stored here.

//go:linkname qjsCompiledModule github.com/fastschema/qjs.compiledQJSModule
var qjsCompiledModule wazero.CompiledModule

//go:linkname qjsRuntimeConfig github.com/fastschema/qjs.cachedRuntimeConfig
var qjsRuntimeConfig wazero.RuntimeConfig

//go:linkname qjsBytesHash github.com/fastschema/qjs.cachedBytesHash
var qjsBytesHash uint64

//go:linkname qjsCompilationMutex github.com/fastschema/qjs.compilationMutex
var qjsCompilationMutex sync.Mutex

//go:linkname qjsWasmBytes github.com/fastschema/qjs.wasmBytes
var qjsWasmBytes []byte

// moduleToken stands for the compiled module in qjs.Option.QuickJSWasmBytes:
// qjs only hashes the bytes and compares the hash with the one installModule
// stored. Were anyone to replace qjs's compiled module, qjs would try to
// compile these bytes, which are not WebAssembly, and every runtime would
// fail to start.
var moduleToken = []byte("ironcurtain-codemode: qjs.wasm compiled by installModule")

// installModule compiles qjs.wasm, without its custom sections, and hands
// the compiled module to qjs together with the runtime configuration every
// runtime then shares (closed when its context ends, as engineOptions
// asks). With a directory, the compiled code is kept there by [fileCache].
// It must run before any qjs.New: qjs then never compiles by itself.
func installModule(ctx context.Context, dir string) error {
	code, err := stripCustomSections(qjsWasmBytes)
	if err != nil {
		return fmt.Errorf("codemode: qjs.wasm: %w", err)
	}
	cache := wazero.NewCompilationCache()
	if dir != "" {
		if err := setFileCache(cache, newFileCache(dir)); err != nil {
			return err
		}
	}
	cfg := wazero.NewRuntimeConfig().WithCompilationCache(cache).WithCloseOnContextDone(true)
	mod, err := wazero.NewRuntimeWithConfig(ctx, cfg).CompileModule(ctx, code)
	if err != nil {
		return fmt.Errorf("codemode: compiling the JavaScript engine: %w", err)
	}
	// qjs.New recompiles unless the hash it computes of the bytes it is
	// given matches. engineOptions gives it moduleToken, not the 1 MB
	// module, which it would otherwise hash in every qjs.New.
	h := fnv.New64a()
	_, _ = h.Write(moduleToken)
	qjsCompilationMutex.Lock()
	defer qjsCompilationMutex.Unlock()
	qjsCompiledModule, qjsRuntimeConfig, qjsBytesHash = mod, cfg, h.Sum64()
	return nil
}

// setFileCache makes fc the storage of a wazero compilation cache: the
// unexported field that NewCompilationCacheWithDir would fill with wazero's
// directory cache. It refuses if the field is not there or fc does not
// have its method set, so a wazero that changed shape compiles without a
// cache rather than misbehaving.
func setFileCache(cache wazero.CompilationCache, fc *fileCache) error {
	v := reflect.ValueOf(cache)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return errors.New("codemode: unexpected wazero cache type")
	}
	f := v.Elem().FieldByName("fileCache")
	if !f.IsValid() || f.Kind() != reflect.Interface || !f.CanAddr() || !reflect.TypeOf(fc).Implements(f.Type()) {
		return errors.New("codemode: unexpected wazero cache layout")
	}
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(fc))
	return nil
}
