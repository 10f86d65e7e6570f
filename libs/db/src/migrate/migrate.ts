import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, ClientBase } from 'pg';

export interface MigrationFile {
  /** The folder name, e.g. 20261128091012_init: what Prisma records as migration_name. */
  name: string;
  sql: string;
  /** sha256 hex of the file's bytes, as Prisma computes it. */
  checksum: string;
}

export interface MigrateOptions {
  /** prisma/migrations by default, found by walking up from this file to the repository root. */
  migrationsDir?: string;
  log?: (line: string) => void;
}

export interface MigrateResult {
  /** Names of the migrations this call applied, in order. */
  applied: string[];
}

/**
 * The key `prisma migrate deploy` holds (pg_advisory_lock(72707369)) while it works: taking the same
 * one makes this migrator and the Prisma CLI exclude each other as well as our own processes.
 */
const PRISMA_MIGRATE_LOCK = 72707369;

/**
 * Applies the migrations under prisma/migrations that the database lacks, so a process can start
 * against a fresh or older database. Records each in Prisma's own `_prisma_migrations` table (same
 * columns, sha256 checksum), so `prisma migrate status` and `migrate deploy` agree with it.
 *
 * Each migration runs in its own transaction that first takes a transaction-level advisory lock and
 * then re-reads what is applied: processes starting together apply each migration once, the others
 * wait and find it done. (A transaction-level lock, because on the embedded Postgres every
 * connection shares one session, where session-level locks do not exclude anyone.) A migration's
 * SQL therefore must be transactional (no CREATE INDEX CONCURRENTLY).
 *
 * Refuses, with the migration's name, when an applied migration's file changed, or when a migration
 * is recorded as started but not finished (a failed `prisma migrate deploy`).
 */
export async function migrate(target: string | ClientBase, options: MigrateOptions = {}): Promise<MigrateResult> {
  const files = readMigrations(options.migrationsDir ?? findMigrationsDir());
  const log = options.log ?? (() => undefined);
  const own = typeof target === 'string' ? new Client({ connectionString: target }) : null;
  const client = own ?? (target as ClientBase);
  if (own) await own.connect();
  const applied: string[] = [];
  try {
    for (;;) {
      const next = await applyNext(client, files);
      if (!next) break;
      applied.push(next);
      log(`applied migration ${next}`);
    }
  } finally {
    if (own) await own.end();
  }
  return { applied };
}

/** Applies the first pending migration in one locked transaction; null when none is pending. */
async function applyNext(client: ClientBase, files: MigrationFile[]): Promise<string | null> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [PRISMA_MIGRATE_LOCK]);
    await client.query(CREATE_TABLE); // under the lock: concurrent CREATE ... IF NOT EXISTS can collide
    const { rows } = await client.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at FROM _prisma_migrations WHERE rolled_back_at IS NULL',
    );
    const done = new Set<string>();
    for (const row of rows) {
      if (!row.finished_at) {
        throw new Error(
          `migration ${row.migration_name} was started but not finished (a failed \`prisma migrate deploy\`?): ` +
            'fix the database, then `prisma migrate resolve --rolled-back` or `--applied` it',
        );
      }
      done.add(row.migration_name);
      const file = files.find((f) => f.name === row.migration_name);
      if (file && !checksumMatches(file, row.checksum)) {
        throw new Error(
          `migration ${file.name} was changed after it was applied (checksum ${file.checksum} on disk, ` +
            `${row.checksum} in _prisma_migrations): restore the file and put the change in a new migration`,
        );
      }
    }
    const pending = files.find((f) => !done.has(f.name));
    if (!pending) {
      await client.query('COMMIT');
      return null;
    }
    const id = randomUUID();
    await client.query(
      'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
      [id, pending.checksum, pending.name],
    );
    try {
      await client.query(pending.sql);
    } catch (e) {
      throw new Error(`migration ${pending.name} failed: ${(e as Error).message}`, { cause: e });
    }
    await client.query('UPDATE _prisma_migrations SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1', [id]);
    await client.query('COMMIT');
    return pending.name;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

/** The table exactly as Prisma's schema engine creates it. */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** Prisma also accepts a file whose line endings were converted (a Windows checkout). */
function checksumMatches(file: MigrationFile, recorded: string): boolean {
  if (file.checksum === recorded) return true;
  const lf = file.sql.replace(/\r\n/g, '\n');
  const crlf = lf.replace(/\n/g, '\r\n');
  return sha256(lf) === recorded || sha256(crlf) === recorded;
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** The migration folders (those holding a migration.sql), in name order, which is time order. */
export function readMigrations(dir: string): MigrationFile[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const bytes = fs.readFileSync(path.join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: sha256(bytes) };
    });
}

/**
 * prisma/migrations of the repository this code runs from, whether from src (jest, ts) or from
 * dist/libs/db/src/migrate (compiled): the nearest folder upwards holding package.json and
 * prisma/migrations.
 */
export function findMigrationsDir(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) {
      throw new Error(`no prisma/migrations folder found above ${from}`);
    }
  }
}
