import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { findMigrationsDir, migrate } from '../migrate/migrate';
import { PrismaService } from '../prisma/prisma.service';
import { createFreshDatabase, FreshDatabase } from '../testing/fresh-database';
import { DeploymentRepository } from './deployment.repository';

/** Served models and versions on a real Postgres. */
describe('DeploymentRepository (real Postgres)', () => {
  let db: FreshDatabase;
  let prisma: PrismaService;
  let repo: DeploymentRepository;
  let teamId: string;
  let checkpoints: string[];

  beforeAll(async () => {
    db = await createFreshDatabase();
    await migrate(db.url, { log: () => undefined });
    prisma = new PrismaService({ databaseUrl: db.url });
    repo = new DeploymentRepository(prisma);
    const team = await prisma.team.create({ data: { name: 'deployers' } });
    teamId = team.id;
    const dataset = await prisma.dataset.create({ data: { teamId, name: 'd', imageShape: [28, 28, 1] } });
    const e = await prisma.experiment.create({ data: { teamId, datasetId: dataset.id, name: 'e', spec: {} } });
    checkpoints = [];
    for (const step of [1, 2, 3]) checkpoints.push((await prisma.checkpoint.create({ data: { experimentId: e.id, step, epoch: 0, storageKey: `k${step}`, sizeBytes: 1 } })).id);
  });

  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  it('numbers versions per name, even when deployed concurrently, and keeps the first as default', async () => {
    const deployed = await Promise.all(checkpoints.map((c) => repo.deployVersion(teamId, 'm', c, { makeDefault: false, deployedBy: 'ci' })));
    expect(deployed.map((d) => d.version).sort()).toEqual([1, 2, 3]);
    const m = await repo.getModel(teamId, 'm');
    expect(m.defaultVersion).toBe(1); // the upsert locks the model row: deploys serialize, the first version becomes the default
    expect(m.versions.map((v) => v.deployedBy)).toEqual(['ci', 'ci', 'ci']);
  });

  it('sets and rolls back the default, labels, splits, and undeploys by the rules', async () => {
    await repo.setDefault(teamId, 'm', 3);
    await repo.setDefault(teamId, 'm', 2);
    expect((await repo.rollback(teamId, 'm')).defaultVersion).toBe(3);
    expect((await repo.setLabel(teamId, 'm', 'stable', 1)).labels).toEqual({ stable: 1 });
    expect((await repo.setSplit(teamId, 'm', 1, 10))).toMatchObject({ splitVersion: 1, splitPercent: 10 });
    await expect(repo.undeployVersion(teamId, 'm', 3)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await repo.undeployVersion(teamId, 'm', 1)).toBe(true);
    const m = await repo.getModel(teamId, 'm');
    expect(m).toMatchObject({ labels: {}, splitVersion: null, splitPercent: 0, defaultVersion: 3 });
    expect(m.versions.map((v) => v.version)).toEqual([2, 3]);
    // Numbers are never reused.
    expect((await repo.deployVersion(teamId, 'm', checkpoints[0])).version).toBe(4);
    await expect(repo.setDefault(teamId, 'm', 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(repo.getModel('00000000-0000-0000-0000-000000000000', 'm')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await repo.deleteModel(teamId, 'm')).toBe(true);
    expect(await prisma.deployment.count({ where: { teamId, name: 'm' } })).toBe(0);
  });
});

describe('the serve_versions migration', () => {
  it('turns each existing deployment into version 1, the default, of a served model of the same name', async () => {
    const db = await createFreshDatabase();
    const all = findMigrationsDir();
    const before = fs.mkdtempSync(path.join(os.tmpdir(), 'ty-migrations-'));
    const names = fs.readdirSync(all).filter((n) => fs.statSync(path.join(all, n)).isDirectory()).sort();
    const mine = names.findIndex((n) => n.endsWith('_serve_versions'));
    for (const n of names.slice(0, mine)) fs.cpSync(path.join(all, n), path.join(before, n), { recursive: true });
    const c = new Client({ connectionString: db.url });
    try {
      await migrate(db.url, { migrationsDir: before, log: () => undefined });
      await c.connect();
      const q = (sql: string) => c.query(sql).then((r) => r.rows);
      await q(`INSERT INTO "Team" (id, name) VALUES ('11111111-1111-1111-1111-111111111111', 't')`);
      await q(`INSERT INTO "Dataset" (id, "teamId", name, format, "imageShape", "updatedAt") VALUES ('22222222-2222-2222-2222-222222222222', '11111111-1111-1111-1111-111111111111', 'd', 'MNIST', '{28,28,1}', now())`);
      await q(`INSERT INTO "Experiment" (id, "teamId", "datasetId", name, spec, "updatedAt") VALUES ('33333333-3333-3333-3333-333333333333', '11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-222222222222', 'e', '{}', now())`);
      await q(`INSERT INTO "Checkpoint" (id, "experimentId", step, epoch, "storageKey", "sizeBytes") VALUES ('44444444-4444-4444-4444-444444444444', '33333333-3333-3333-3333-333333333333', 1, 0, 'k', 1)`);
      await q(`INSERT INTO "Deployment" (id, "teamId", name, "checkpointId", "updatedAt") VALUES ('55555555-5555-5555-5555-555555555555', '11111111-1111-1111-1111-111111111111', 'digits', '44444444-4444-4444-4444-444444444444', now())`);
      await migrate(db.url, { log: () => undefined });
      expect(await q(`SELECT name, "defaultVersion", "nextVersion" FROM "ServedModel"`)).toEqual([{ name: 'digits', defaultVersion: 1, nextVersion: 2 }]);
      expect(await q(`SELECT name, version FROM "Deployment"`)).toEqual([{ name: 'digits', version: 1 }]);
    } finally {
      await c.end().catch(() => undefined);
      fs.rmSync(before, { recursive: true, force: true });
      await db.drop();
    }
  });
});
