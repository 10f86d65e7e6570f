import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { createFreshDatabase, FreshDatabase } from '../testing/fresh-database';
import { findMigrationsDir, migrate } from './migrate';

const MIGRATION = '20261129090000_dataset_files_to_versions';

/**
 * The migration that drops Dataset.format and DatasetFile, on a real Postgres holding data from
 * before versions: each such dataset's idx files become an INGESTING idx version (same stored
 * objects, hashes, counts), and the experiments that trained on them point at it.
 */
describe(`${MIGRATION} (real Postgres)`, () => {
  let db: FreshDatabase;
  let pg: Client;
  let dir: string;

  beforeAll(async () => {
    db = await createFreshDatabase();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
    const all = findMigrationsDir();
    // Everything up to (not including) this migration, as a database from before it had.
    for (const name of fs.readdirSync(all)) {
      if (name >= MIGRATION && name !== 'migration_lock.toml') continue;
      fs.cpSync(path.join(all, name), path.join(dir, name), { recursive: true });
    }
    await migrate(db.url, { migrationsDir: dir, log: () => undefined });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });

  afterAll(async () => {
    await pg?.end();
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('turns legacy idx files into a version the worker ingests, links old experiments, then drops the columns', async () => {
    const q = (sql: string, args: unknown[] = []) => pg.query(sql, args).then((r) => r.rows);
    const [team] = await q(`INSERT INTO "Team" ("id", "name") VALUES (gen_random_uuid(), 'old') RETURNING "id"`);
    const dataset = async (name: string) =>
      (await q(`INSERT INTO "Dataset" ("id", "teamId", "name", "format", "status", "imageShape", "numClasses", "trainCount", "testCount", "updatedAt") VALUES (gen_random_uuid(), $1, $2, 'MNIST', 'READY', '{28,28,1}', 10, 100, 20, now()) RETURNING "id"`, [team.id, name]))[0].id as string;
    const legacy = await dataset('legacy');
    const both = await dataset('legacy-then-versioned');
    const files = [
      ['TRAIN_IMAGES', 100, '{28,28}', true],
      ['TRAIN_LABELS', 100, '{}', false],
      ['TEST_IMAGES', 20, '{28,28}', true],
      ['TEST_LABELS', 20, '{}', false],
    ] as const;
    for (const d of [legacy, both]) {
      for (const [role, count, dims, gz] of files) {
        await q(`INSERT INTO "DatasetFile" ("id", "datasetId", "role", "storageKey", "sizeBytes", "gzipped", "sha256", "count", "dims", "classHistogram") VALUES (gen_random_uuid(), $1, $2, $3, 1234, $4, $5, $6, $7, '{}')`, [d, role, `teams/${team.id}/datasets/${d}/files/${role}`, gz, `sha-${role}`, count, dims]);
      }
    }
    // The second dataset already has a version 1 (uploaded after versions came).
    await q(`INSERT INTO "DatasetVersion" ("id", "datasetId", "version", "format", "options", "split", "status", "sampleShape", "updatedAt") VALUES (gen_random_uuid(), $1, 1, 'csv', '{}', '{}', 'READY', '{1,1,4}', now())`, [both]);
    const [oldRun] = await q(`INSERT INTO "Experiment" ("id", "teamId", "datasetId", "name", "spec", "updatedAt") VALUES (gen_random_uuid(), $1, $2, 'old run', '{}', now()) RETURNING "id"`, [team.id, legacy]);

    fs.cpSync(path.join(findMigrationsDir(), MIGRATION), path.join(dir, MIGRATION), { recursive: true });
    expect((await migrate(db.url, { migrationsDir: dir, log: () => undefined })).applied).toEqual([MIGRATION]);

    const versions = await q(`SELECT "id", "datasetId", "version", "format", "status", "sampleShape" FROM "DatasetVersion" ORDER BY "datasetId", "version"`);
    const made = versions.filter((v) => v.format === 'idx');
    expect(made).toHaveLength(2);
    const legacyVersion = made.find((v) => v.datasetId === legacy)!;
    expect(legacyVersion).toMatchObject({ version: 1, status: 'INGESTING', sampleShape: [28, 28, 1] });
    expect(made.find((v) => v.datasetId === both)).toMatchObject({ version: 0, status: 'INGESTING' }); // v1 stays the current one
    const sources = await q(`SELECT "name", "storageKey", "status", "bytesReceived", "sha256", "details" FROM "DatasetSource" WHERE "versionId" = $1 ORDER BY "name"`, [legacyVersion.id]);
    expect(sources.map((s) => s.name)).toEqual(['test-images', 'test-labels', 'train-images', 'train-labels']);
    expect(sources[2]).toMatchObject({ storageKey: `teams/${team.id}/datasets/${legacy}/files/TRAIN_IMAGES`, status: 'STORED', bytesReceived: '1234', sha256: 'sha-TRAIN_IMAGES', details: { count: 100, dims: [100, 28, 28], gzipped: true } });
    expect((await q(`SELECT "datasetVersionId" FROM "Experiment" WHERE "id" = $1`, [oldRun.id]))[0].datasetVersionId).toBe(legacyVersion.id);
    // The old columns are gone.
    expect(await q(`SELECT 1 FROM information_schema.tables WHERE table_name = 'DatasetFile'`)).toEqual([]);
    expect(await q(`SELECT 1 FROM information_schema.columns WHERE table_name = 'Dataset' AND column_name = 'format'`)).toEqual([]);
    // A run of every migration applies only the later ones, and then there is nothing left to apply.
    const later = fs.readdirSync(findMigrationsDir()).filter((n) => n > MIGRATION && n !== 'migration_lock.toml').sort();
    expect((await migrate(db.url, { log: () => undefined })).applied).toEqual(later);
    expect((await migrate(db.url, { log: () => undefined })).applied).toEqual([]);
  });
});
