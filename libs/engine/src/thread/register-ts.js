'use strict';
/**
 * A minimal require hook so plain Node (a worker thread started under jest, a bench script) can load
 * this repo's .ts sources: compile each .ts file with @swc/core using the root .swcrc, and map the
 * `@trainyard/<lib>` aliases to libs/<lib>/src. Compiled builds (dist/) never need it.
 *
 *   node -r ./libs/engine/src/thread/register-ts.js some-script.ts
 */
const fs = require('fs');
const path = require('path');
const Module = require('module');

function findRoot(dir) {
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, '.swcrc')) && fs.existsSync(path.join(d, 'libs'))) return d;
  }
  throw new Error(`register-ts: no repository root (with .swcrc and libs/) above ${dir}`);
}

function register() {
  if (Module._extensions['.ts']) return;
  const root = findRoot(__dirname);
  const swc = require('@swc/core');
  const options = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
  delete options.$schema;
  delete options.jsc.baseUrl; // aliases are resolved below, at require time
  delete options.jsc.paths;
  Module._extensions['.ts'] = function compileTs(module, filename) {
    const source = fs.readFileSync(filename, 'utf8');
    const { code } = swc.transformSync(source, { ...options, filename, sourceMaps: 'inline', swcrc: false });
    module._compile(code, filename);
  };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveAlias(request, ...rest) {
    const m = /^@trainyard\/([^/]+)(\/.*)?$/.exec(request);
    if (m) request = path.join(root, 'libs', m[1], 'src', m[2] || '');
    return resolve.call(this, request, ...rest);
  };
}

register();
module.exports = { register };
