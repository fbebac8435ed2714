// The Code Mode prelude. It runs first in every fresh runtime, before any
// script. It is compiled to bytecode once per process. It talks to Go
// through one host function, __ic_host (see bridge.go for its operations);
// the tool table, [[namespace, method, index], ...], comes from there.
//
// It takes the host functions off the global object and keeps them in this
// closure, removes everything through which a script could reach the host
// (the std, os and bjson modules, their timers, eval and the Function
// constructors), and installs console, timers and the frozen tool
// namespaces. None of this is the security boundary: the Go side checks
// every call. It keeps honest scripts from stumbling and hostile ones from
// reaching qjs's own machinery.
(function () {
  "use strict";
  const g = globalThis;
  const host = g.__ic_host;
  const hostPrint = (s) => host("P" + s), hostDone = (s) => host("D" + s), hostFail = (s) => host("F" + s);
  const tools = JSON.parse(host("T"));

  const { defineProperty, freeze, create, getPrototypeOf } = Object;
  const stringify = JSON.stringify, parse = JSON.parse, isArray = Array.isArray;
  const apply = Reflect.apply, now = Date.now, mathCeil = Math.ceil;
  const ErrorCtor = Error, TypeErrorCtor = TypeError, EvalErrorCtor = EvalError;
  const FunctionProto = Function.prototype;
  const uncurry = (f) => FunctionProto.call.bind(f);
  const strSlice = uncurry(String.prototype.slice);
  const promiseThen = uncurry(Promise.prototype.then);
  const fixed = (value) => ({ value, writable: false, enumerable: false, configurable: false });

  // qjs's host-function wrappers call proxy.call(...): a script that could
  // replace Function.prototype.call would be handed qjs's raw proxy.
  for (const k of ["call", "apply", "bind"]) {
    defineProperty(FunctionProto, k, fixed(FunctionProto[k]));
  }

  // Host functions, quickjs-libc's modules and their timers, and eval.
  for (const k of ["__ic_host", "std", "os", "bjson",
    "setTimeout", "setInterval", "clearTimeout", "clearInterval", "print", "scriptArgs",
    "gc", "navigator", "QJS_PROXY_VALUE", "eval"]) {
    if (!delete g[k] || k in g) throw new ErrorCtor("prelude: cannot remove " + k);
  }

  // No code from strings: eval is gone; every Function constructor throws.
  const noCode = function Function() {
    throw new EvalErrorCtor("code generation from strings is disabled in Code Mode");
  };
  defineProperty(noCode, "prototype", fixed(FunctionProto));
  for (const proto of [FunctionProto, getPrototypeOf(async function () {}),
    getPrototypeOf(function* () {}), getPrototypeOf(async function* () {})]) {
    defineProperty(proto, "constructor", fixed(noCode));
  }
  defineProperty(g, "Function", fixed(noCode));

  // esbuild lowers import() to require(); neither exists here.
  defineProperty(g, "require", fixed(function require() {
    throw new ErrorCtor("modules are not available in Code Mode; use the tool functions");
  }));

  // Console: every line goes to the host's capped buffer.
  const show = (v) => {
    if (typeof v === "string") return v;
    try {
      if (v instanceof ErrorCtor) return String(v.name) + ": " + String(v.message);
      const j = stringify(v);
      if (typeof j === "string") return j;
    } catch (e) { /* fall through */ }
    try { return String(v); } catch (e) { return "[value]"; }
  };
  const printer = (prefix) => function (...args) {
    let s = prefix;
    for (let i = 0; i < args.length; i++) s += (i ? " " : "") + show(args[i]);
    hostPrint(stringify(s));
  };
  const log = printer("");
  defineProperty(g, "console", fixed(freeze({
    log, info: printer("[INFO] "), warn: printer("[WARN] "), error: printer("[ERROR] "),
    debug: printer("[DEBUG] "), dir: log, trace: log,
  })));
  defineProperty(g, "print", fixed(log));

  // Failure and result reporting.
  const describe = (e) => {
    try {
      if (e instanceof ErrorCtor) {
        return { name: String(e.name), message: String(e.message), stack: String(e.stack || "") };
      }
      return { name: "", message: "uncaught " + show(e), stack: "" };
    } catch (x) {
      return { name: "Error", message: "an uncaught exception that cannot be described", stack: "" };
    }
  };
  let settled = false;
  const fail = (e) => {
    if (settled) return;
    settled = true;
    hostFail(stringify(describe(e)));
  };
  const finish = (v) => {
    if (settled) return;
    let j;
    try {
      j = v === undefined ? "null" : stringify(v);
    } catch (e) {
      fail(new TypeErrorCtor("the script's result cannot be turned into JSON: " + show(e)));
      return;
    }
    if (typeof j !== "string") {
      fail(new TypeErrorCtor("the script's result (a " + typeof v + ") cannot be turned into JSON"));
      return;
    }
    settled = true;
    hostDone(j);
  };

  // Timers: kept here and fired by the host between turns of the job
  // queue, at their due time, so that waiting honours the run's deadline.
  let timers = [], timerSeq = 0;
  const addTimer = (fn, ms, args, repeat) => {
    if (typeof fn !== "function") throw new TypeErrorCtor("timers need a function (strings are not evaluated)");
    ms = +ms;
    if (!(ms > 0)) ms = 0;
    const id = ++timerSeq;
    timers[timers.length] = { id, due: now() + ms, fn, args, every: repeat ? (ms > 1 ? ms : 1) : -1 };
    return id;
  };
  const clearTimer = (id) => {
    const kept = [];
    for (let i = 0; i < timers.length; i++) if (timers[i].id !== id) kept[kept.length] = timers[i];
    timers = kept;
  };
  defineProperty(g, "setTimeout", fixed(function setTimeout(fn, ms, ...args) { return addTimer(fn, ms, args, false); }));
  defineProperty(g, "setInterval", fixed(function setInterval(fn, ms, ...args) { return addTimer(fn, ms, args, true); }));
  defineProperty(g, "clearTimeout", fixed(function clearTimeout(id) { clearTimer(id); }));
  defineProperty(g, "clearInterval", fixed(function clearInterval(id) { clearTimer(id); }));
  // __ic_tick fires the earliest due timer. It returns -1 when no timer is
  // left, 0 when it fired one, or the milliseconds until the next is due.
  defineProperty(g, "__ic_tick", fixed(function () {
    if (settled || timers.length === 0) return -1;
    let next = timers[0];
    for (let i = 1; i < timers.length; i++) {
      const t = timers[i];
      if (t.due < next.due || (t.due === next.due && t.id < next.id)) next = t;
    }
    const wait = next.due - now();
    if (wait > 0) return mathCeil(wait);
    if (next.every < 0) clearTimer(next.id);
    else next.due = now() + next.every;
    try { apply(next.fn, undefined, next.args); } catch (e) { fail(e); }
    return 0;
  }));

  // Tool namespaces: frozen objects of frozen stubs, one host function
  // behind them all, kept in this closure.
  const spaces = create(null);
  for (const [ns, method, index] of tools) {
    const label = ns + "." + method;
    const stub = {
      [method](args) {
        if (args === undefined) args = {};
        else if (args === null || typeof args !== "object" || isArray(args)) {
          throw new TypeErrorCtor(label + " takes one argument: an object of named arguments");
        }
        let json;
        try {
          json = stringify(args);
        } catch (e) {
          throw new TypeErrorCtor("the arguments of " + label + " cannot be turned into JSON: " + show(e));
        }
        if (typeof json !== "string") {
          throw new TypeErrorCtor("the arguments of " + label + " cannot be turned into JSON");
        }
        const r = host("C" + index + " " + json);
        if (r[0] === "V") return parse(strSlice(r, 1));
        throw new ErrorCtor(strSlice(r, 1));
      },
    }[method];
    const space = spaces[ns] || (spaces[ns] = create(null));
    defineProperty(space, method, { value: freeze(stub), enumerable: true, writable: false, configurable: false });
  }
  // help returns the declarations of a namespace or tool (see
  // discovery.go); it calls no tool.
  defineProperty(g, "help", fixed(function help(name) {
    const arg = name === undefined ? "" : (typeof name === "string" ? stringify(name) : "null");
    const r = host("H" + arg);
    if (r[0] === "V") return parse(strSlice(r, 1));
    throw new ErrorCtor(strSlice(r, 1));
  }));
  for (const ns in spaces) defineProperty(g, ns, { value: freeze(spaces[ns]), enumerable: true, writable: false, configurable: false });

  // __ic_main runs the script: the body of an async function.
  let started = false;
  defineProperty(g, "__ic_main", {
    configurable: true,
    value: function (fn) {
      if (started) return;
      started = true;
      delete g.__ic_main;
      let p;
      try { p = fn(); } catch (e) { fail(e); return; }
      promiseThen(p, finish, fail);
    },
  });
})();
