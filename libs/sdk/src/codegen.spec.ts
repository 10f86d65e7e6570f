import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

// graphql-codegen's CLI loads ESM-only packages through Node's require(esm), which jest's module
// system does not do: generate in a plain Node child, in memory (nothing is written).
const GENERATE = `
const { generate } = require('@graphql-codegen/cli');
generate({ ...require('./libs/sdk/codegen.cjs'), cwd: process.cwd() }, false)
  .then((out) => process.stdout.write(JSON.stringify(out.map((o) => ({ filename: o.filename, content: o.content })))))
  .catch((e) => { console.error(e); process.exit(1); });`;

/**
 * The committed generated files are what graphql-codegen makes of the committed schema.graphql and
 * the operations now: a schema change or an edited operation without `npm run sdk:codegen` fails here.
 */
describe('sdk codegen', () => {
  jest.setTimeout(120_000);

  it('committed files in libs/sdk/src/generated match a fresh generation from schema.graphql', () => {
    const outputs: Array<{ filename: string; content: string }> = JSON.parse(execFileSync(process.execPath, ['-e', GENERATE], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 }));
    expect(outputs.map((o) => path.relative(ROOT, path.resolve(ROOT, o.filename))).sort()).toEqual([
      'libs/sdk/src/generated/gql.ts',
      'libs/sdk/src/generated/graphql.ts',
      'libs/sdk/src/generated/index.ts',
    ]);
    for (const o of outputs) {
      const committed = readFileSync(path.resolve(ROOT, o.filename), 'utf8');
      if (committed !== o.content) throw new Error(`${o.filename} is stale: run \`npm run sdk:codegen\` and commit the result`);
    }
  });
});
