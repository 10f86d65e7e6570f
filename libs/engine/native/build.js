#!/usr/bin/env node
/**
 * Builds Trainyard's native training kernels (libs/engine/native/src) into
 * libs/engine/native/build/trainyard_kernels.node with the system C++ compiler (g++ or clang++) and
 * Node's own headers; no node-gyp, no downloads. Run by `npm install`/`npm ci` (package.json
 * "install" script) and by hand: `node libs/engine/native/build.js`.
 *
 * Never fails the install: without a compiler or Node headers it prints why and exits 0, and the
 * engine uses its JS kernel overrides instead (TRAINYARD_NATIVE_KERNELS=0 forces that too).
 * Set TRAINYARD_NATIVE_BUILD=0 to skip, TRAINYARD_NATIVE_BUILD=strict to make a failure an error.
 */
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const mode = process.env.TRAINYARD_NATIVE_BUILD;
const strict = mode === 'strict';
const here = __dirname;
const src = path.join(here, 'src');
const out = path.join(here, 'build');
const target = path.join(out, 'trainyard_kernels.node');

function log(msg) {
  console.log(`[trainyard native kernels] ${msg}`);
}

function giveUp(why) {
  log(`not built: ${why}. Training uses the JS kernel overrides (slower).`);
  process.exit(strict ? 1 : 0);
}

function findHeaders() {
  const cands = [
    process.env.npm_config_nodedir && path.join(process.env.npm_config_nodedir, 'include', 'node'),
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    path.join(os.homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return cands.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
}

function findCompiler() {
  for (const cxx of [process.env.CXX, 'g++', 'clang++', 'c++'].filter(Boolean)) {
    try {
      execFileSync(cxx, ['--version'], { stdio: 'ignore' });
      return cxx;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function main() {
  if (mode === '0') return log('skipped (TRAINYARD_NATIVE_BUILD=0)');
  if (process.platform === 'win32') return giveUp('Windows is not supported by this build script');
  const headers = findHeaders();
  if (!headers) return giveUp('Node headers (node_api.h) not found');
  const cxx = findCompiler();
  if (!cxx) return giveUp('no C++ compiler (g++/clang++) found');
  fs.mkdirSync(out, { recursive: true });
  const x86 = process.arch === 'x64';
  const common = ['-O3', '-std=c++17', '-fPIC', '-fvisibility=hidden', '-fno-math-errno', '-fno-strict-aliasing', `-I${headers}`, '-DNODE_GYP_MODULE_NAME=trainyard_kernels'];
  if (x86) common.push('-DTY_HAVE_X86');
  const units = [
    ['addon.cc', ['-ffp-contract=off']],
    ['gemm_generic.cc', []],
  ];
  if (x86) {
    units.push(['gemm_avx2.cc', ['-mavx2', '-mfma']]);
    units.push(['gemm_avx512.cc', ['-mavx512f', '-mavx512vl', '-mavx2', '-mfma']]);
  }
  const objs = [];
  try {
    for (const [file, flags] of units) {
      const obj = path.join(out, file.replace(/\.cc$/, '.o'));
      execFileSync(cxx, [...common, ...flags, '-c', path.join(src, file), '-o', obj], { stdio: 'inherit' });
      objs.push(obj);
    }
    if (!x86) {
      // Stubs so addon.cc links; pick_isa() never selects them off x86.
      log('non-x86: baseline SIMD only');
    }
    const tmp = `${target}.tmp`;
    const ldflags = process.platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared'];
    execFileSync(cxx, [...ldflags, ...objs, '-o', tmp], { stdio: 'inherit' });
    fs.renameSync(tmp, target);
    for (const o of objs) fs.rmSync(o, { force: true });
  } catch (e) {
    return giveUp(`compile failed (${e.message.split('\n')[0]})`);
  }
  try {
    const m = require(target);
    log(`built ${path.relative(process.cwd(), target)} (${m.isa})`);
  } catch (e) {
    fs.rmSync(target, { force: true });
    return giveUp(`built but does not load: ${e.message}`);
  }
}

main();
