'use strict';
/**
 * Entry file of the training thread. From a build (dist/) the compiled training-thread.js sits beside
 * this file; from sources (jest) only training-thread.ts does, so register the small swc require hook
 * first and load the TypeScript directly.
 */
const fs = require('fs');
const path = require('path');

const compiled = path.join(__dirname, 'training-thread.js');
if (fs.existsSync(compiled)) {
  require(compiled);
} else {
  require('./register-ts');
  require(path.join(__dirname, 'training-thread.ts'));
}
