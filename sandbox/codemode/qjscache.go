package codemode

import (
	"context"
	"errors"
	"hash/fnv"
	"reflect"
	"sync"
	"unsafe"

	_ "github.com/fastschema/qjs" // the variables below are qjs's
	"github.com/tetratelabs/wazero"
)

// qjs v0.0.6 compiles qjs.wasm once per process into package variables,
// and can be pointed at a cache only by directory name, which gives the
// unchecked wazero cache (see cache.go). installCache compiles the module
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

// installCache compiles qjs.wasm with a wazero compilation cache stored in
// dir and hands the compiled module to qjs, with the runtime
// configuration every runtime then shares (closed on its context's end,
// as engineOptions asks). It must run before any qjs.New.
func installCache(ctx context.Context, dir string) error {
	cache := wazero.NewCompilationCache()
	if err := setFileCache(cache, fileCache{dir: dir}); err != nil {
		return err
	}
	cfg := wazero.NewRuntimeConfig().WithCompilationCache(cache).WithCloseOnContextDone(true)
	wrt := wazero.NewRuntimeWithConfig(ctx, cfg)
	mod, err := wrt.CompileModule(ctx, qjsWasmBytes)
	if err != nil {
		return err
	}
	h := fnv.New64a()
	_, _ = h.Write(qjsWasmBytes)
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
func setFileCache(cache wazero.CompilationCache, fc fileCache) error {
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
