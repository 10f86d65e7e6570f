import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createFreshDatabase, FreshDatabase } from '../testing/fresh-database';
import { findMigrationsDir, migrate, readMigrations } from './migrate';

const repoRoot = path.resolve(__dirname, '../../../..');

describe('migrate (real Postgres)', () => {
  let db: FreshDatabase;
  beforeEach(async () => (db = await createFreshDatabase()));
  afterEach(() => db.drop());

  const query = async (sql: string) => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };

  it('finds prisma/migrations from src and from dist', () => {
    expect(findMigrationsDir()).toBe(path.join(repoRoot, 'prisma', 'migrations'));
    const fromDist = path.join(repoRoot, 'dist', 'libs', 'db', 'src', 'migrate');
    expect(findMigrationsDir(fromDist)).toBe(path.join(repoRoot, 'prisma', 'migrations'));
  });

  it('applies every migration once, records it as Prisma does, and the Prisma CLI agrees', async () => {
    const files = readMigrations(findMigrationsDir());
    const first = await migrate(db.url);
    expect(first.applied).toEqual(files.map((f) => f.name));
    expect((await migrate(db.url)).applied).toEqual([]);

    const rows = await query('SELECT migration_name, checksum, finished_at, applied_steps_count, rolled_back_at FROM _prisma_migrations');
    expect(rows).toHaveLength(files.length);
    for (const f of files) {
      const row = rows.find((r) => r.migration_name === f.name);
      expect(row).toMatchObject({ checksum: f.checksum, applied_steps_count: 1, rolled_back_at: null });
      expect(row.finished_at).toBeInstanceOf(Date);
    }
    expect(await query(`SELECT to_regclass('"Experiment"') IS NOT NULL AS ok`)).toEqual([{ ok: true }]);

    const { stdout } = await promisify(execFile)(path.join(repoRoot, 'node_modules', '.bin', 'prisma'), ['migrate', 'status'], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: db.url },
    });
    expect(stdout).toContain('Database schema is up to date');
  }, 30_000);

  it('applies each migration once when several processes start together', async () => {
    const results = await Promise.all([migrate(db.url), migrate(db.url), migrate(db.url)]);
    const names = readMigrations(findMigrationsDir()).map((f) => f.name);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(names.sort());
    expect(await query('SELECT count(*)::int AS n FROM _prisma_migrations')).toEqual([{ n: names.length }]);
  });

  it('applies a new migration later, and refuses when an applied one was edited', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
    try {
      fs.cpSync(findMigrationsDir(), dir, { recursive: true });
      await migrate(db.url, { migrationsDir: dir });

      fs.mkdirSync(path.join(dir, '99990101000000_more'));
      fs.writeFileSync(path.join(dir, '99990101000000_more', 'migration.sql'), 'CREATE TABLE "Extra" (id int);\n');
      expect((await migrate(db.url, { migrationsDir: dir })).applied).toEqual(['99990101000000_more']);

      fs.appendFileSync(path.join(dir, '99990101000000_more', 'migration.sql'), 'ALTER TABLE "Extra" ADD b int;\n');
      await expect(migrate(db.url, { migrationsDir: dir })).rejects.toThrow(/migration 99990101000000_more was changed after it was applied/);

      // a failing migration leaves nothing behind: its transaction, and its record, roll back
      fs.mkdirSync(path.join(dir, '99990102000000_broken'));
      fs.writeFileSync(path.join(dir, '99990101000000_more', 'migration.sql'), 'CREATE TABLE "Extra" (id int);\n');
      fs.writeFileSync(path.join(dir, '99990102000000_broken', 'migration.sql'), 'CREATE TABLE "Half" (id int);\nSELECT nope;\n');
      await expect(migrate(db.url, { migrationsDir: dir })).rejects.toThrow(/migration 99990102000000_broken failed: column "nope" does not exist/);
      expect(await query(`SELECT to_regclass('"Half"') IS NULL AS gone, (SELECT count(*)::int FROM _prisma_migrations WHERE migration_name LIKE '%broken') AS n`)).toEqual([
        { gone: true, n: 0 },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
