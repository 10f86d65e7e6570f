/**
 * Medium tier: DataLoader batching, proven by counting SQL statements. A listing of N experiments
 * with their checkpoints, losses and epoch summaries, resolved as GraphQL resolves sibling fields (every parent's
 * field resolver called in the same tick, one request), against a real Postgres. Statements are
 * counted where they leave the process: pg's Client.query, which @prisma/adapter-pg's pool calls for
 * every statement (no pg_stat_statements needed), filtered to this test's database.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { CheckpointExportRepository, CheckpointRepository, ExperimentRepository, PrismaService } from '@trainyard/db';
import { Loaders } from '../../apps/api/src/graphql/loaders';
import { migratedDatabase, Teardown } from '../support/medium';

jest.setTimeout(60_000);

let prisma: PrismaService;
let dbName: string;
const teardown: Teardown = [];
let statements: string[] = [];
const originalQuery = Client.prototype.query;

beforeAll(async () => {
  const db = await migratedDatabase('trainyard_medium_qc', teardown);
  prisma = db.prisma;
  dbName = new URL(db.url).pathname.slice(1);
  // Count every statement sent to this test's database, on any pooled connection.
  Client.prototype.query = function (this: Client & { database?: string }, ...args: unknown[]) {
    if (this.database === dbName) {
      const q = args[0] as string | { text?: string };
      statements.push(typeof q === 'string' ? q : (q?.text ?? '?'));
    }
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Client.prototype.query;
  teardown.unshift(async () => (Client.prototype.query = originalQuery));
});

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

/** A team with n experiments, each with 3 checkpoints, 20 loss points and 2 epoch summaries (distinct values per experiment). */
async function teamWith(n: number) {
  const team = await prisma.team.create({ data: { name: `qc-${randomUUID()}` } });
  const ds = await prisma.dataset.create({ data: { teamId: team.id, name: 'qc', status: 'READY', imageShape: [28, 28, 1], numClasses: 10 } });
  for (let i = 0; i < n; i++) {
    const e = await prisma.experiment.create({ data: { teamId: team.id, datasetId: ds.id, name: `e${i}`, spec: {}, status: 'SUCCEEDED' } });
    await prisma.checkpoint.createMany({ data: [1, 2, 3].map((k) => ({ experimentId: e.id, step: k * 10, epoch: 0, storageKey: `k/${e.id}/${k}`, sizeBytes: 100 + i })) });
    await prisma.lossPoint.createMany({ data: Array.from({ length: 20 }, (_, s) => ({ experimentId: e.id, step: s + 1, epoch: 0, loss: i + s / 100 })) });
    await prisma.epochSummary.createMany({ data: [0, 1].map((epoch) => ({ experimentId: e.id, epoch, step: (epoch + 1) * 10, data: { meanLoss: i + epoch } })) });
  }
  return team.id;
}

/** `{ experiments { id checkpoints { ... } losses { ... } epochSummaries { ... } } }` as the resolvers run it for one request. */
async function listing(teamId: string, loaders: Loaders, experiments: ExperimentRepository) {
  const req = {}; // one GraphQL request: its loaders live as long as this object
  const rows = await experiments.list(teamId);
  return Promise.all(
    rows.map(async (e) => ({
      name: e.name,
      checkpoints: await loaders.checkpoints(req, e.id),
      losses: await loaders.losses(req, e.id, 0, 1000),
      epochs: await loaders.epochSummaries(req, e.id),
    })),
  );
}

async function counted<T>(fn: () => Promise<T>): Promise<{ result: T; count: number; sql: string[] }> {
  statements = [];
  const result = await fn();
  const sql = statements;
  statements = [];
  return { result, count: sql.length, sql };
}

it('lists N experiments with checkpoints and losses in a number of statements that does not grow with N', async () => {
  const experiments = new ExperimentRepository(prisma);
  const checkpoints = new CheckpointRepository(prisma);
  const loaders = new Loaders(checkpoints, experiments, new CheckpointExportRepository(prisma));
  const [small, large] = [await teamWith(2), await teamWith(25)];

  const a = await counted(() => listing(small, loaders, experiments));
  const b = await counted(() => listing(large, loaders, experiments));

  // The right rows, each experiment its own (the batch is split back per parent).
  expect(b.result).toHaveLength(25);
  for (const e of b.result) {
    const i = Number(e.name.slice(1));
    expect(e.checkpoints.map((c) => c.step)).toEqual([10, 20, 30]);
    expect(e.checkpoints.every((c) => c.sizeBytes === 100 + i)).toBe(true);
    expect(e.losses).toHaveLength(20);
    expect(e.losses[0].loss).toBeCloseTo(i);
    expect(e.epochs.map((x) => [x.epoch, (x.data as { meanLoss: number }).meanLoss])).toEqual([
      [0, i],
      [1, i + 1],
    ]);
  }
  // One listing query, then one query each for checkpoints, losses and epoch summaries: for 2 experiments and for 25.
  expect(a.count).toBeGreaterThan(0);
  expect(b.count).toBe(a.count);
  expect(b.count).toBeLessThanOrEqual(4);
});

it('the counter sees an unbatched N+1 (so the assertion above could fail)', async () => {
  const experiments = new ExperimentRepository(prisma);
  const checkpoints = new CheckpointRepository(prisma);
  const teamId = await teamWith(5);
  const perParent = await counted(async () => {
    const rows = await experiments.list(teamId);
    return Promise.all(rows.map((e) => checkpoints.forExperiments([e.id])));
  });
  expect(perParent.count).toBeGreaterThanOrEqual(1 + 5);
});
