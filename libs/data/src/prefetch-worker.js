'use strict';
/**
 * Entry file of the data prefetch thread. From a build (dist/) the compiled prefetch-thread.js sits
 * beside this file; from sources (jest) load the TypeScript through the repo's small swc require hook.
 */
const fs = require('fs');
const path = require('path');

const compiled = path.join(__dirname, 'prefetch-thread.js');
if (fs.existsSync(compiled)) {
  require(compiled);
} else {
  require('../../engine/src/thread/register-ts');
  require(path.join(__dirname, 'prefetch-thread.ts'));
}
