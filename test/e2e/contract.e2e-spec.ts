/**
 * The client contract of the API (issue 12): the served schema is schema.graphql, list fields are
 * Relay connections, and subscriptions over graphql-ws carry live progress.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AuthService } from '@trainyard/auth';
import { PrismaService } from '@trainyard/db';
import { loadConfig } from '@trainyard/config';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { buildSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { RunningTrainyard, startTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient } from '../support/client';
import { realServices } from '../support/services';

jest.setTimeout(180_000);

let trainyard: RunningTrainyard;
let teardown: Array<() => Promise<void>> = [];
let alice: TrainyardClient;
let bob: TrainyardClient;
let aliceTeamId: string;
let prisma: PrismaService;

beforeAll(async () => {
  const services = await realServices();
  teardown = [services.teardown];
  trainyard = await startTrainyard(loadConfig({ ...services.env, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test' }));
  teardown.unshift(() => trainyard.close());
  const auth = trainyard.app.get(AuthService);
  const a = await auth.createTeam('alice');
  aliceTeamId = a.team.id;
  alice = new TrainyardClient(trainyard.url).withKey(a.apiKey);
  bob = new TrainyardClient(trainyard.url).withKey((await auth.createTeam('bob')).apiKey);
  prisma = trainyard.app.get(PrismaService);
});

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

describe('schema.graphql', () => {
  // The standard introspection query nests 15 levels, over the API's depth limit (12): read the
  // schema object the running GraphQL module serves instead.
  it('is the schema the server serves, type for type', async () => {
    const served = printSchema(lexicographicSortSchema(trainyard.app.get(GraphQLSchemaHost).schema));
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
