// Two tiers: unit tests sit beside the code they test (libs/**, apps/**; infra/test checks the deployment files offline);
// end-to-end tests under test/ talk to the real Postgres, Redis and an s3rver on loopback.
const fs = require('fs');
const swcrc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
// @swc/jest resolves paths itself: drop the ones jest's moduleNameMapper handles.
delete swcrc.jsc.baseUrl;
delete swcrc.jsc.paths;
delete swcrc.$schema;

const shared = {
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@trainyard/([^/]+)/(.+)$': '<rootDir>/libs/$1/src/$2', '^@trainyard/(.*)$': '<rootDir>/libs/$1/src' },
  testEnvironment: 'node',
  // dist/ is the build that child processes run; jest never loads modules from it (libs/sdk/package.json is copied there).
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};

module.exports = {
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    { ...shared, displayName: 'unit', rootDir: __dirname, testMatch: ['<rootDir>/{apps,libs,infra}/**/*.spec.ts'] },
    { ...shared, displayName: 'e2e', rootDir: __dirname, testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    // Services against real Postgres, Redis and s3rver, below e2e (no HTTP).
    { ...shared, displayName: 'medium', rootDir: __dirname, testMatch: ['<rootDir>/test/medium/**/*.medium-spec.ts'] },
    // Faults injected into real processes (own Redis/Postgres on other ports, a faulty S3 proxy): slower.
    { ...shared, displayName: 'faults', rootDir: __dirname, testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'] },
    // The web console (dist/console, so after `npm run build`) in Debian's Chromium, and its size budget.
    { ...shared, displayName: 'browser', rootDir: __dirname, testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] },
  ],
};
