import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Test } from '@nestjs/testing';
import { Client } from 'pg';
import { DbModule, migrate, PrismaService, startEmbeddedPostgres } from './index';
import { exerciseCrud } from './testing/crud-suite';
import { createFreshDatabase } from './testing/fresh-database';

/** PrismaService the way the app gets it: through DbModule, started and stopped by Nest. */
async function withPrisma<T>(databaseUrl: string, fn: (prisma: PrismaService) => Promise<T>): Promise<T> {
  const moduleRef = await Test.createTestingModule({ imports: [DbModule.forRoot({ databaseUrl })] }).compile();
  await moduleRef.init();
  try {
    return await fn(moduleRef.get(PrismaService));
  } finally {
    await moduleRef.close();
  }
}

describe('PrismaService on real Postgres', () => {
  it('migrates a fresh database and stores and reads every kind of column', async () => {
    const db = await createFreshDatabase();
    try {
      await migrate(db.url);
      await withPrisma(db.url, exerciseCrud);
    } finally {
      await db.drop();
    }
  }, 30_000);
});

describe('embedded Postgres (PGlite over the wire protocol)', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-pgdata-'))));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('migrates, serves PrismaService, and keeps the data across a restart', async () => {
    const timings: Record<string, number> = {};
    let t = Date.now();
    const first = await startEmbeddedPostgres({ dataDir });
    timings.firstStart = Date.now() - t;
    let ids: { teamId: string; experimentId: string };
    try {
      t = Date.now();
      expect((await migrate(first.url)).applied.length).toBeGreaterThan(0);
      timings.migrate = Date.now() - t;
      t = Date.now();
      ids = await withPrisma(first.url, exerciseCrud);
      timings.crud = Date.now() - t;
    } finally {
      await first.stop();
    }

    t = Date.now();
    const second = await startEmbeddedPostgres({ dataDir });
    timings.restart = Date.now() - t;
    try {
      expect((await migrate(second.url)).applied).toEqual([]);
      await withPrisma(second.url, async (prisma) => {
        const experiment = await prisma.experiment.findUniqueOrThrow({ where: { id: ids.experimentId }, include: { losses: true, dataset: true } });
        expect(experiment).toMatchObject({ teamId: ids.teamId, status: 'RUNNING', step: 10, totalSteps: 10 });
        expect(experiment.losses).toHaveLength(13);
        expect(experiment.dataset.imageShape).toEqual([28, 28, 1]);
      });
    } finally {
      await second.stop();
    }
    // eslint-disable-next-line no-console
    console.log('embedded postgres timings (ms)', timings);
  }, 60_000);

  it('serves several connections at once without mixing their transactions', async () => {
    const pg = await startEmbeddedPostgres({ dataDir });
    const clients = Array.from({ length: 3 }, () => new Client({ connectionString: pg.url }));
    try {
      await Promise.all(clients.map((c) => c.connect()));
      await clients[0].query('CREATE TABLE IF NOT EXISTS counter (n int); TRUNCATE counter; INSERT INTO counter VALUES (0)');
      // read-modify-write in transactions from three connections: no lost update, no interleaving
      const bump = async (c: Client) => {
        for (let i = 0; i < 10; i++) {
          await c.query('BEGIN');
          const { rows } = await c.query('SELECT n FROM counter');
          await new Promise((r) => setTimeout(r, 1));
          await c.query('UPDATE counter SET n = $1', [rows[0].n + 1]);
          await c.query('COMMIT');
        }
      };
      // different extended-protocol statements from every connection at once
      const mixed = async (c: Client, k: number) => {
        const results = [];
        for (let i = 0; i < 30; i++) {
          results.push(await c.query(i % 2 ? 'SELECT $1::int AS v' : 'SELECT $1::int + 0 AS v, $2::text AS t', i % 2 ? [k * 100 + i] : [k * 100 + i, 'x']));
        }
        return results;
      };
      const [, answers] = await Promise.all([Promise.all(clients.map(bump)), Promise.all(clients.map(mixed))]);
      answers.forEach((rs, k) => rs.forEach((r, i) => expect(r.rows[0].v).toBe(k * 100 + i)));
      expect((await clients[1].query('SELECT n FROM counter')).rows[0].n).toBe(30);

      // a connection that dies inside a transaction is rolled back and frees the session
      clients[2].on('error', () => undefined);
      await clients[2].query('BEGIN');
      await clients[2].query('UPDATE counter SET n = -1');
      (clients[2] as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      expect((await clients[0].query('SELECT n FROM counter')).rows[0].n).toBe(30);
    } finally {
      await Promise.all(clients.slice(0, 2).map((c) => c.end()));
      await pg.stop();
    }
  }, 30_000);
});
