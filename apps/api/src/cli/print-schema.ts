import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { printApiSchema, SCHEMA_FILE } from '../graphql/schema-file';

/**
 * npm run schema:print            writes schema.graphql at the repository root from the code
 * npm run schema:print -- --check exits 1 when the committed file differs from the code
 */
async function main() {
  const file = resolve(process.cwd(), SCHEMA_FILE);
  const printed = await printApiSchema();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      /* missing: differs */
    }
    if (current !== printed) {
      console.error(`${SCHEMA_FILE} differs from the schema the code builds: run \`npm run schema:print\` and commit it`);
      process.exit(1);
    }
    console.error(`${SCHEMA_FILE} is up to date`);
    return;
  }
  writeFileSync(file, printed);
  console.error(`wrote ${file}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
