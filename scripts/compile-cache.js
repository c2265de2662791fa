// A V8 code cache for the cdktf CLI, loaded with `node -r` by scripts/cdktf.
//
// The CLI compiles its bundle and its dependencies' JavaScript on every run: about
// 0.7 s of CPU before it starts the app, 5% of a whole synthesis. Node 20 has no
// built-in compile cache (NODE_COMPILE_CACHE arrives in Node 22), and the
// v8-compile-cache package breaks on the CLI's ES-module dependencies, so this hook
// caches the CommonJS files below the project's node_modules and leaves everything
// else to Node. The code is keyed by the Node version, file name and content: an
// upgrade or any edit misses the cache and compiles as usual, and V8 itself rejects
// data it cannot use. The cache is written at exit, so it also holds the functions
// compiled lazily during the run. It lives in node_modules/.cache/ (`npm ci` starts
// it afresh), or in $OCP_CDKTF_COMPILE_CACHE.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const Module = require("module");
const path = require("path");
const vm = require("vm");

const root = path.resolve(__dirname, "..");
const packages = path.join(root, "node_modules") + path.sep;
const cacheDir = process.env.OCP_CDKTF_COMPILE_CACHE || path.join(root, "node_modules", ".cache", "ocp-compile-cache");
const compile = Module.prototype._compile;
const scripts = [];

Module.prototype._compile = function (content, filename, format) {
  const commonjs = format === undefined || format === "commonjs";
  if (!commonjs || !filename.startsWith(packages) || !/\.c?js$/.test(filename)) {
    return compile.apply(this, arguments);
  }
  const key = crypto.createHash("sha256").update(`${process.version}\0${filename}\0`).update(content).digest("hex");
  const cacheFile = path.join(cacheDir, `${key}.bin`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(content), { filename, cachedData, importModuleDynamically: undefined });
  if (cachedData === undefined || script.cachedDataRejected) {
    scripts.push({ script, cacheFile });
  }
  const mod = this;
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  const wrapper = script.runInThisContext({ displayErrors: true });
  return wrapper.call(mod.exports, mod.exports, require, mod, filename, path.dirname(filename));
};

process.once("exit", () => {
  for (const { script, cacheFile } of scripts) {
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      const partial = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(partial, script.createCachedData());
      fs.renameSync(partial, cacheFile); // readers never see half a file
    } catch {
      // A cache that cannot be written only costs the next run its compile time.
    }
  }
});
