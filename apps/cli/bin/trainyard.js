#!/usr/bin/env node
// `npx trainyard` / the package's bin: runs the built CLI (dist/), building it first when this
// checkout has no build yet (as `npm run team:create` does). Build output goes to stderr.
const path = require('node:path');
const fs = require('node:fs');
const root = path.resolve(__dirname, '../../..');
const entry = path.join(root, 'dist/apps/cli/src/main.js');
if (!fs.existsSync(entry)) {
  const { spawnSync } = require('node:child_process');
  process.stderr.write('trainyard: building the CLI once (npm run build)...\n');
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0 || !fs.existsSync(entry)) {
    process.stderr.write('trainyard: the build failed; run `npm run build` in ' + root + ' and look at its errors\n');
    process.exit(1);
  }
}
require(entry)
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });
