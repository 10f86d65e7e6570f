import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildSchema } from 'graphql';
import { printApiSchema, SCHEMA_FILE } from './schema-file';

jest.setTimeout(60_000);

/** schema.graphql is the contract clients build on: it must be exactly what the code serves. */
describe('schema.graphql', () => {
  let printed: string;
  beforeAll(async () => {
    printed = await printApiSchema();
  });

  it('matches the schema the code builds (else run `npm run schema:print` and commit schema.graphql)', () => {
    const file = resolve(__dirname, '../../../..', SCHEMA_FILE);
    let committed = '';
    try {
      committed = readFileSync(file, 'utf8');
    } catch {
      throw new Error(`${SCHEMA_FILE} is missing at the repository root: run \`npm run schema:print\` and commit it`);
    }
    if (committed !== printed) {
      const a = committed.split('\n');
      const b = printed.split('\n');
      let i = 0;
      while (i < a.length && a[i] === b[i]) i++;
      throw new Error(
        `${SCHEMA_FILE} differs from the schema the code builds (first difference at line ${i + 1}: ` +
          `committed ${JSON.stringify(a[i] ?? '<end>')}, code ${JSON.stringify(b[i] ?? '<end>')}). ` +
          'Run `npm run schema:print` and commit schema.graphql.',
      );
    }
  });

  it('is a valid schema with the API root types', () => {
    const schema = buildSchema(printed);
    expect(schema.getQueryType()?.getFields()).toHaveProperty('experiments');
    expect(schema.getMutationType()?.getFields()).toHaveProperty('submitExperiment');
  });
});
