/**
 * The client contract of the API (issue 12): the served schema is schema.graphql, list fields are
 * Relay connections, and subscriptions over graphql-ws carry live progress.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AuthService } from '@trainyard/auth';
import { PrismaService } from '@trainyard/db';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { buildSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { EventPublisher, RedisPubSub, subscribeEvents, topic, TrainyardEvent } from '@trainyard/events';
import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { TrainyardClient, waitForDataset } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, MnistSlug } from '../support/mnist';
import { REDIS_URL } from '../support/services';

jest.setTimeout(180_000);

let e2e: E2e;
let alice: TrainyardClient;
let bob: TrainyardClient;
let aliceTeamId: string;
let prisma: PrismaService;

beforeAll(async () => {
  e2e = await startE2e();
  const auth = e2e.app.get(AuthService);
  const a = await auth.createTeam('alice');
  aliceTeamId = a.team.id;
  alice = new TrainyardClient(e2e.url).withKey(a.apiKey);
  bob = new TrainyardClient(e2e.url).withKey((await auth.createTeam('bob')).apiKey);
  prisma = e2e.app.get(PrismaService);
});

afterAll(() => e2e?.close());

describe('schema.graphql', () => {
  // The standard introspection query nests 15 levels, over the API's depth limit (12): read the
  // schema object the running GraphQL module serves instead.
  it('is the schema the server serves, type for type', async () => {
    const served = printSchema(lexicographicSortSchema(e2e.app.get(GraphQLSchemaHost).schema));
    const committed = printSchema(lexicographicSortSchema(buildSchema(readFileSync(path.resolve(__dirname, '../../schema.graphql'), 'utf8'))));
    expect(served).toBe(committed);
  });
});

/** Every node of a connection, following endCursor page by page; the pages' edges as seen. */
async function pageAll(client: TrainyardClient, field: string, args: string, first: number, nodeFields = 'id') {
  const ids: string[] = [];
  const pages: number[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const query = `query($first: Int!, $after: String) { ${field}(first: $first, after: $after${args ? `, ${args}` : ''}) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${nodeFields} } } } }`;
    const page: any = (await client.data(query, { first, after }))[field];
    pages.push(page.edges.length);
    ids.push(...page.edges.map((e: any) => e.node.id ?? e.node.name));
    expect(page.pageInfo.startCursor).toBe(page.edges[0]?.cursor ?? null);
    expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1]?.cursor ?? null);
    if (!page.pageInfo.hasNextPage) return { ids, pages, totalCount: page.totalCount as number };
    after = page.pageInfo.endCursor;
  }
  throw new Error('more than 100 pages');
}

const CREATE_DATASET = `mutation($name: String!) { createDataset(name: $name) { id } }`;

describe('connections', () => {
  let datasetIds: string[];
  /** 23 experiment rows of alice's (ties on createdAt included), seeded straight into Postgres. */
  let seeded: Array<{ id: string; name: string; status: string; createdAt: Date }>;

  beforeAll(async () => {
    datasetIds = [];
    for (let i = 0; i < 7; i++) datasetIds.push((await alice.data(CREATE_DATASET, { name: `pg-${i}` })).createDataset.id);
    await alice.data(CREATE_DATASET, { name: 'other' });
    const statuses = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
    const base = Date.parse('2026-01-01T00:00:00Z');
    seeded = [];
    for (let i = 0; i < 23; i++) {
      // Groups of three share a createdAt: the order must fall back to the id.
      const row = await prisma.experiment.create({
        data: {
          teamId: aliceTeamId,
          datasetId: datasetIds[i % 2],
          name: i % 3 === 0 ? `sweep-a-${i}` : `run-${i}`,
          spec: {},
          status: statuses[i % statuses.length],
          createdAt: new Date(base + Math.floor(i / 3) * 1000),
        },
      });
      seeded.push({ id: row.id, name: row.name, status: row.status, createdAt: row.createdAt });
    }
  });

  const newestFirst = (rows: typeof seeded) =>
    [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((r) => r.id);

  it('pages through more than `first` items, newest first, with no duplicates or gaps', async () => {
    const all = await pageAll(alice, 'experiments', '', 4);
    expect(all.ids).toEqual(newestFirst(seeded));
    expect(all.totalCount).toBe(23);
    expect(all.pages).toEqual([4, 4, 4, 4, 4, 3]);
    const datasets = await pageAll(alice, 'datasets', 'filter: { namePrefix: "pg-" }', 3);
    expect(datasets.ids).toEqual([...datasetIds].reverse());
    expect(datasets.totalCount).toBe(7);
  });

  it('keeps its place when rows are added between pages (keyset, not offset)', async () => {
    const first = (await alice.data(`{ experiments(first: 5) { edges { cursor node { id } } pageInfo { endCursor } } }`)).experiments;
    const fresh = await prisma.experiment.create({ data: { teamId: aliceTeamId, datasetId: datasetIds[0], name: 'late-arrival', spec: {} } });
    try {
      const rest = await alice.data(`query($a: String) { experiments(first: 200, after: $a) { edges { node { id } } } }`, { a: first.pageInfo.endCursor });
      const ids = [...first.edges.map((e: any) => e.node.id), ...rest.experiments.edges.map((e: any) => e.node.id)];
      // The new run is newest: it belongs before the first page, so neither page shows it and nothing repeats.
      expect(first.edges[0].node.id).not.toBe(fresh.id);
      expect(ids).toEqual(newestFirst(seeded));
    } finally {
      await prisma.experiment.delete({ where: { id: fresh.id } });
    }
  });

  it('filters by status, dataset and name prefix, and pages the filtered list', async () => {
    const failedOrCancelled = await pageAll(alice, 'experiments', 'filter: { status: [FAILED, CANCELLED] }', 2, 'id status');
    expect(failedOrCancelled.ids).toEqual(newestFirst(seeded.filter((r) => r.status === 'FAILED' || r.status === 'CANCELLED')));
    expect(failedOrCancelled.totalCount).toBe(failedOrCancelled.ids.length);
    const onSecond = await pageAll(alice, 'experiments', `filter: { datasetId: "${datasetIds[1]}", namePrefix: "run-" }`, 3);
    expect(onSecond.ids).toEqual(newestFirst(seeded.filter((r, i) => i % 2 === 1 && r.name.startsWith('run-'))));
    expect(onSecond.ids.length).toBeGreaterThan(3);
  });

  it('refuses a cursor that is not one, or is of another list, with BAD_USER_INPUT saying what to pass', async () => {
    for (const after of ['not-a-cursor', Buffer.from('["experiments","yesterday","x"]').toString('base64url'), '']) {
      const r = await alice.gql(`query($a: String) { experiments(after: $a) { edges { node { id } } } }`, { a: after });
      expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0].message).toMatch(/is not a cursor of experiments; pass pageInfo.endCursor/);
    }
    const datasetCursor = (await alice.data(`{ datasets(first: 1) { pageInfo { endCursor } } }`)).datasets.pageInfo.endCursor;
    const r = await alice.gql(`query($a: String) { experiments(after: $a) { edges { node { id } } } }`, { a: datasetCursor });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses first over the cap (200; loss points 10000) or below 0', async () => {
    for (const [q, vars] of [
      [`query($f: Int!) { experiments(first: $f) { totalCount } }`, { f: 201 }],
      [`query($f: Int!) { datasets(first: $f) { totalCount } }`, { f: -1 }],
      [`query($id: ID!) { experiment(id: $id) { lossPoints(first: 10001) { totalCount } } }`, { id: seeded[0].id }],
    ] as const) {
      const r = await alice.gql(q, vars);
      expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0].message).toMatch(/^first must be an integer from 0 to (200|10000)/);
    }
    const zero = (await alice.data(`{ experiments(first: 0) { totalCount pageInfo { hasNextPage endCursor } edges { cursor } } }`)).experiments;
    expect(zero).toEqual({ totalCount: 23, pageInfo: { hasNextPage: true, endCursor: null }, edges: [] });
  });

  it("never shows another team's rows, even with that team's cursor", async () => {
    const aliceCursor = (await alice.data(`{ experiments(first: 1) { pageInfo { endCursor } } }`)).experiments.pageInfo.endCursor;
    for (const field of ['experiments', 'datasets', 'evaluations', 'sweeps', 'models', 'deployments']) {
      const r = await bob.data(`{ ${field} { totalCount edges { cursor } } }`);
      expect(r[field]).toEqual({ totalCount: 0, edges: [] });
    }
    const r = await bob.data(`query($a: String) { experiments(after: $a) { totalCount edges { node { id } } } }`, { a: aliceCursor });
    expect(r.experiments).toEqual({ totalCount: 0, edges: [] });
  });

  it('pages the loss series by step, oldest first, and keeps the deprecated losses list', async () => {
    const id = seeded[0].id;
    await prisma.lossPoint.createMany({ data: Array.from({ length: 23 }, (_, i) => ({ experimentId: id, step: (i + 1) * 10, epoch: 1 + Math.floor(i / 10), loss: 2.3 - i * 0.05 })) });
    const steps: number[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (await alice.data(`query($id: ID!, $a: String) { experiment(id: $id) { lossPoints(first: 5, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { step loss } } } } }`, { id, a: after })).experiment.lossPoints;
      expect(page.totalCount).toBe(23);
      steps.push(...page.edges.map((e: any) => e.node.step));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(steps).toEqual(Array.from({ length: 23 }, (_, i) => (i + 1) * 10));
    const old = (await alice.data(`query($id: ID!) { experiment(id: $id) { losses(afterStep: 50, limit: 3) { step } } }`, { id })).experiment.losses;
    expect(old.map((p: any) => p.step)).toEqual([60, 70, 80]);
    // Many experiments' pages in one request: one query per window (DataLoader), the right points each.
    const many = (await alice.data(`{ experiments(first: 30) { edges { node { id lossPoints(first: 2) { totalCount edges { node { step } } } } } } }`)).experiments.edges;
    for (const e of many) expect(e.node.lossPoints.edges.map((x: any) => x.node.step)).toEqual(e.node.id === id ? [10, 20] : []);
  });
});

/** A graphql-ws client of the test server; no retries, so a refused connection surfaces at once. */
function wsClient(key: string | undefined): Client {
  return createClient({
    url: `${e2e.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: key === undefined ? {} : { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: true,
  });
}

interface Watched {
  values: any[];
  errors: unknown[];
  ended: Promise<void>;
  stop(): void;
}

function watch(client: Client, query: string, variables: Record<string, unknown>, until?: (data: any) => boolean): Watched {
  const w = { values: [] as any[], errors: [] as unknown[] } as Watched;
  let finish!: () => void;
  w.ended = new Promise<void>((r) => (finish = r));
  const stop = client.subscribe(
    { query, variables },
    {
      next: (r) => {
        if (r.errors) w.errors.push(...r.errors);
        if (r.data) w.values.push(r.data);
        if (r.data && until?.(r.data)) {
          stop();
          finish();
        }
      },
      error: (e) => {
        w.errors.push(e);
        finish();
      },
      complete: () => finish(),
    },
  );
  w.stop = () => {
    stop();
    finish();
  };
  return w;
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms))]);

describe('subscriptions (graphql-ws on /graphql)', () => {
  const TRAIN = 1200;
  const TEST = 200;
  let datasetId: string;
  let versionEvents: Watched;

  beforeAll(async () => {
    datasetId = (await alice.data(CREATE_DATASET, { name: 'mnist-live' })).createDataset.id;
    const counts: Record<MnistSlug, number> = { 'train-images': TRAIN, 'train-labels': TRAIN, 'test-images': TEST, 'test-labels': TEST };
    const slugs = Object.keys(counts) as MnistSlug[];
    for (const slug of slugs.slice(0, 3)) expect((await alice.upload(datasetId, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
    // Watch the open version's ingest before the last file starts it.
    const { dataset } = await alice.data(`query($id: ID!) { dataset(id: $id) { versions { id status } } }`, { id: datasetId });
    versionEvents = watch(wsClient(alice.apiKey), `subscription($id: ID!) { datasetVersionUpdated(id: $id) { id status failureReason } }`, { id: dataset.versions[0].id }, (d) =>
      ['READY', 'FAILED'].includes(d.datasetVersionUpdated.status),
    );
    await new Promise((r) => setTimeout(r, 500));
    expect((await alice.upload(datasetId, 'test-labels', mnistSubset('test-labels', TEST))).status).toBe(200);
    await waitForDataset(alice, datasetId);
  });

  it('reports a dataset version through ingest to READY', async () => {
    await within(versionEvents.ended, 60_000, 'datasetVersionUpdated');
    expect(versionEvents.errors).toEqual([]);
    const statuses = versionEvents.values.map((v) => v.datasetVersionUpdated.status);
    expect(statuses[statuses.length - 1]).toBe('READY');
    expect(statuses.length).toBeGreaterThanOrEqual(2); // the state on subscribing, then at least the change to READY
  });

  it('streams a real training run: loss points as they are recorded, then the final status', async () => {
    const { submitExperiment } = await alice.data(`mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id status } }`, {
      input: {
        name: 'live',
        datasetId,
        model: { name: 'lenet5' },
        pipeline: { batchSize: 32, shuffleBufferSize: 1000 },
        optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
        epochs: 2,
        perPrintTimes: 1,
        checkpoint: { saveCheckpointSteps: 1000, keepCheckpointMax: 1 },
      },
    });
    const id = submitExperiment.id as string;
    const ws = wsClient(alice.apiKey);
    try {
      const points = watch(ws, `subscription($id: ID!) { lossPointsAdded(experimentId: $id) { step epoch loss lr } }`, { id });
      const updates = watch(ws, `subscription($id: ID!) { experimentUpdated(id: $id) { id status progress { step totalSteps } } }`, { id }, (d) =>
        ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(d.experimentUpdated.status),
      );
      await within(updates.ended, 150_000, 'experimentUpdated');
      points.stop();
      expect(updates.errors).toEqual([]);
      expect(points.errors).toEqual([]);
      const seen = updates.values.map((v) => v.experimentUpdated);
      expect(seen[seen.length - 1].status).toBe('SUCCEEDED');
      expect(seen.some((e) => e.status === 'RUNNING' && e.progress.step > 0)).toBe(true);
      // Every point received is the one stored, in step order, and most of the run arrived live.
      const received = points.values.flatMap((v) => v.lossPointsAdded);
      const stored = (await alice.data(`query($id: ID!) { experiment(id: $id) { lossPoints(first: 3000) { edges { node { step epoch loss lr } } } } }`, { id })).experiment.lossPoints.edges.map(
        (e: any) => e.node,
      );
      expect(stored.length).toBeGreaterThan(50);
      const byStep = new Map(stored.map((p: any) => [p.step, p]));
      // (The database's float8 text may drop the last digit of a float32 loss: compare to 1e-12.)
      for (const p of received) {
        const row: any = byStep.get(p.step);
        expect({ ...row, loss: undefined }).toEqual({ ...p, loss: undefined });
        expect(row.loss).toBeCloseTo(p.loss, 12);
      }
      expect(received.map((p) => p.step)).toEqual([...received.map((p) => p.step)].sort((a, b) => a - b));
      expect(received.length).toBeGreaterThan(stored.length / 2);
    } finally {
      await ws.dispose();
    }
  });

  it('refuses a connection without a key, or with a wrong one, at connect (4403)', async () => {
    for (const key of [undefined, 'ty_wrong_key', `${alice.apiKey}x`]) {
      const w = watch(wsClient(key), `subscription { experimentUpdated(id: "${seededOrAny()}") { id } }`, {});
      await within(w.ended, 10_000, 'a refused connection');
      expect(w.values).toEqual([]);
      expect((w.errors[0] as { code?: number }).code).toBe(4403);
    }
  });

  it("answers another team's experiment with NOT_FOUND and sends none of its events", async () => {
    const { experiments } = await alice.data(`{ experiments(first: 1, filter: { namePrefix: "live" }) { edges { node { id } } } }`);
    const id = experiments.edges[0]?.node.id ?? (await prisma.experiment.findFirstOrThrow({ where: { teamId: aliceTeamId } })).id;
    const ws = wsClient(bob.apiKey);
    try {
      const w = watch(ws, `subscription($id: ID!) { experimentUpdated(id: $id) { id status } }`, { id });
      const p = watch(ws, `subscription($id: ID!) { lossPointsAdded(experimentId: $id) { step } }`, { id });
      await within(Promise.all([w.ended, p.ended]), 10_000, 'the refused subscriptions');
      for (const x of [w, p]) {
        expect(x.values).toEqual([]);
        expect(x.errors).toHaveLength(1);
        expect(x.errors[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
      }
      // An event published for that experiment now reaches nobody on bob's connection.
      const live = watch(ws, `subscription { lossPointsAdded(experimentId: "${id}") { step } }`, {});
      await e2e.app.get(EventPublisher).lossPointsAdded(aliceTeamId, id, [{ step: 999_999, epoch: 1, loss: 1 }]);
      await new Promise((r) => setTimeout(r, 500));
      expect(live.values).toEqual([]);
      live.stop();
    } finally {
      await ws.dispose();
    }
  });

  it('carries events between processes through Redis (a worker publishing, an api subscribed)', async () => {
    const worker = new RedisPubSub(REDIS_URL, e2e.services.env.QUEUE_PREFIX);
    const api = new RedisPubSub(REDIS_URL, e2e.services.env.QUEUE_PREFIX);
    try {
      const events = await subscribeEvents<TrainyardEvent>(api, topic('experiment', 'e1'));
      await worker.publish(topic('experiment', 'e1'), { kind: 'experiment', teamId: 't', experimentId: 'e1' });
      await worker.publish(topic('experiment', 'e2'), { kind: 'experiment', teamId: 't', experimentId: 'e2' });
      await worker.publish(topic('experiment', 'e1'), { kind: 'experiment', teamId: 't', experimentId: 'e1b' });
      expect((await within(events.next(), 5000, 'redis event')).value).toMatchObject({ experimentId: 'e1' });
      expect((await within(events.next(), 5000, 'redis event')).value).toMatchObject({ experimentId: 'e1b' });
      await events.return!();
    } finally {
      await Promise.all([worker.close(), api.close()]);
    }
  });

  it('keeps polling working beside subscriptions', async () => {
    const { experiments } = await alice.data(`{ experiments(first: 1, filter: { namePrefix: "live" }) { edges { node { id status lossPoints(first: 3) { totalCount edges { node { step } } } } } } }`);
    expect(experiments.edges[0].node.status).toBe('SUCCEEDED');
    expect(experiments.edges[0].node.lossPoints.totalCount).toBeGreaterThan(50);
  });
});

function seededOrAny() {
  return '00000000-0000-4000-8000-000000000000';
}
