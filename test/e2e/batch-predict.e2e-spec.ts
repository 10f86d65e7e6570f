/**
 * batchPredict on real parts (Postgres, Redis/BullMQ, s3rver, the worker and serve in one process):
 * a deployed model version, and a plain checkpoint, run over a whole split of an ingested MNIST
 * version; progress through GraphQL, the file through the download route, compared with what the
 * serve route answers for the same images. Plus tenants, bad input, freed bytes, and a course where
 * a student may not run predictions on an assignment's hidden split.
 */
import { readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { AuthService } from '@trainyard/auth';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { decodeShard, DatasetIndex } from '@trainyard/data';
import { PrismaService } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { TrainyardClient, waitForDataset } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, mnistTestSample, MnistSlug } from '../support/mnist';
import { seedCheckpoint } from '../support/serve-fixture';

jest.setTimeout(240_000);

const TRAIN = 96;
const TEST = 150;

let e2e: E2e;
let anonymous: TrainyardClient;
let alice: TrainyardClient;
let bob: TrainyardClient;
let aliceTeamId: string;
let prisma: PrismaService;
let store: ArtifactStore;
let datasetId: string;

const FIELDS = 'id status checkpointId modelName modelVersion datasetId datasetVersionId split format topK processed total progress sizeBytes failureReason downloadUrl';
const PREDICT = `mutation($i: BatchPredictInput!) { batchPredict(input: $i) { ${FIELDS} } }`;
const GET = `query($id: ID!) { batchPrediction(id: $id) { ${FIELDS} } }`;

async function uploadMnist(client: TrainyardClient, name: string, train = TRAIN, test = TEST): Promise<string> {
  const { createDataset } = await client.data(`mutation($name: String!) { createDataset(name: $name) { id } }`, { name });
  const counts: Record<MnistSlug, number> = { 'train-images': train, 'train-labels': train, 'test-images': test, 'test-labels': test };
  for (const slug of Object.keys(counts) as MnistSlug[]) expect((await client.upload(createDataset.id, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
  await waitForDataset(client, createDataset.id);
  return createDataset.id;
}

/** Polls until finished; returns the last row and every progress value seen on the way. */
async function waitForPrediction(client: TrainyardClient, id: string, timeoutMs = 120_000) {
  const seen: number[] = [];
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 100))) {
    const { batchPrediction } = await client.data(GET, { id });
    seen.push(batchPrediction.progress);
    if (['SUCCEEDED', 'FAILED'].includes(batchPrediction.status)) return { row: batchPrediction, seen };
    if (Date.now() > deadline) throw new Error(`batch prediction ${id} still ${batchPrediction.status}`);
  }
}

async function download(client: TrainyardClient, path: string) {
  const res = await fetch(`${e2e.url}${path}`, { headers: client.apiKey ? { authorization: `Bearer ${client.apiKey}` } : {} });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

beforeAll(async () => {
  e2e = await startE2e();
  const auth = e2e.app.get(AuthService);
  anonymous = new TrainyardClient(e2e.url);
  const a = await auth.createTeam('alice');
  aliceTeamId = a.team.id;
  alice = anonymous.withKey(a.apiKey);
  bob = anonymous.withKey((await auth.createTeam('bob')).apiKey);
  prisma = e2e.app.get(PrismaService);
  store = e2e.app.get<ArtifactStore>(ARTIFACT_STORE);
  datasetId = await uploadMnist(alice, 'mnist-small');
});

afterAll(() => e2e?.close());

describe('batchPredict', () => {
  let jsonl: any;

  it('runs a deployed model version over the test split: progress in GraphQL, JSONL with the top-k classes, as serve answers', async () => {
    const seeded = await seedCheckpoint(prisma, store, aliceTeamId, { datasetId, seed: 1 });
    await alice.data(`mutation($c: ID!) { deployCheckpoint(name: "digits", checkpointId: $c) { version } }`, { c: seeded.checkpointId });
    const { batchPredict } = await alice.data(PREDICT, { i: { modelName: 'digits', datasetId, split: 'TEST', format: 'JSONL', topK: 3 } });
    expect(batchPredict).toMatchObject({ checkpointId: seeded.checkpointId, modelName: 'digits', modelVersion: 1, split: 'TEST', format: 'JSONL', topK: 3, total: TEST, downloadUrl: null });
    expect(['QUEUED', 'RUNNING']).toContain(batchPredict.status);
    const { row, seen } = await waitForPrediction(alice, batchPredict.id);
    expect(row.failureReason).toBeNull();
    expect(row).toMatchObject({ status: 'SUCCEEDED', processed: TEST, total: TEST, progress: 1, downloadUrl: `/v1/batch-predictions/${batchPredict.id}/download` });
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    jsonl = row;

    const file = await download(alice, row.downloadUrl);
    expect(file.status).toBe(200);
    expect(file.type).toMatch(/^application\/x-ndjson/);
    expect(Buffer.byteLength(file.text)).toBe(row.sizeBytes);
    const lines = file.text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(TEST);
    // Lines follow the split as ingest stored it (its shards in order, as evaluation reads them).
    const version = await prisma.datasetVersion.findUniqueOrThrow({ where: { id: row.datasetVersionId } });
    const index = version.index as unknown as DatasetIndex;
    const stored: Array<{ label: number; pixels: number[] }> = [];
    for (const shard of index.splits.test!.shards) {
      const d = decodeShard(await store.getBytes(`${version.storagePrefix}${shard.name}`), index, shard);
      for (let i = 0; i < d.count; i++) stored.push({ label: d.labels[i], pixels: Array.from(d.samples.subarray(i * 784, (i + 1) * 784)) });
    }
    const sourceLabels = Array.from({ length: TEST }, (_, i) => mnistTestSample(i).label).sort();
    expect(lines.map((l) => l.label).sort()).toEqual(sourceLabels);
    lines.forEach((l, i) => {
      expect(l.index).toBe(i);
      expect(l.label).toBe(stored[i].label);
      expect(l.label_name).toBe(String(l.label));
      expect(l.top_k).toHaveLength(3);
      for (const c of l.top_k) expect(c.name).toBe(String(c.class)); // idx datasets name their classes "0".."9"
      expect(l.top_k[0].probability).toBeGreaterThanOrEqual(l.top_k[1].probability);
      expect(l.top_k[1].probability).toBeGreaterThanOrEqual(l.top_k[2].probability);
    });
    // The same images through the serve route: the same classes and probabilities (same pipeline, same weights).
    const picks = [0, 1, 2, 3, 4, TEST - 1];
    const served = await alice.post('/v1/models/digits:predict', { instances: picks.map((i) => stored[i].pixels) });
    expect(served.status).toBe(200);
    served.body.predictions.forEach((p: number[], j: number) => {
      const best = p.indexOf(Math.max(...p));
      const line = lines[picks[j]];
      expect(line.top_k[0].class).toBe(best);
      expect(line.top_k[0].probability).toBeCloseTo(p[best], 5);
      expect(line.top_k[1].probability).toBeCloseTo([...p].sort((a, b) => b - a)[1], 5);
    });
    // The job let go of the cached shards (their lease) once done, so the cache may evict or sweep them.
    const cached = path.join(e2e.app.get<AppConfig>(APP_CONFIG).datasets.cacheDir, row.datasetVersionId);
    const leases = async () => (await readdir(cached)).filter((f) => f.startsWith('.lease-'));
    for (const deadline = Date.now() + 5000; (await leases()).length > 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    expect(await leases()).toEqual([]);
    console.log(`batchPredict JSONL: ${TEST} predictions, ${row.sizeBytes} bytes; progress seen ${[...new Set(seen)].map((p) => p.toFixed(2)).join(' ')}`);
  });

  it('runs any checkpoint over the train split as CSV; deleting the checkpoint frees the file', async () => {
    const seeded = await seedCheckpoint(prisma, store, aliceTeamId, { datasetId, seed: 4, step: 20 });
    const { batchPredict } = await alice.data(PREDICT, { i: { checkpointId: seeded.checkpointId, datasetId, split: 'TRAIN', format: 'CSV', topK: 2 } });
    expect(batchPredict).toMatchObject({ modelName: null, modelVersion: null, total: TRAIN });
    const { row } = await waitForPrediction(alice, batchPredict.id);
    expect(row.status).toBe('SUCCEEDED');
    const file = await download(alice, row.downloadUrl);
    expect(file.type).toMatch(/^text\/csv/);
    const [head, ...rows] = file.text.trimEnd().split('\n');
    expect(head).toBe('index,label,label_name,class_1,name_1,probability_1,class_2,name_2,probability_2');
    expect(rows).toHaveLength(TRAIN);
    const cells = rows[0].split(',');
    expect(cells).toHaveLength(9);
    expect(Number(cells[5])).toBeGreaterThanOrEqual(Number(cells[8]));

    const stored = await prisma.batchPrediction.findUniqueOrThrow({ where: { id: row.id } });
    const bytesAt = async () => (await store.list(stored.storageKey!)).reduce((n, o) => n + o.sizeBytes, 0);
    expect(await bytesAt()).toBe(row.sizeBytes);
    expect((await alice.data(`mutation($id: ID!) { deleteCheckpoint(id: $id) }`, { id: seeded.checkpointId })).deleteCheckpoint).toBe(true);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && (await bytesAt()) > 0; ) await new Promise((r) => setTimeout(r, 200));
    expect(await bytesAt()).toBe(0);
    expect((await alice.gql(GET, { id: row.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('is the team\'s only: another team gets NOT_FOUND / 404, no key 401', async () => {
    expect((await bob.gql(GET, { id: jsonl.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await download(bob, jsonl.downloadUrl)).status).toBe(404);
    expect((await download(anonymous, jsonl.downloadUrl)).status).toBe(401);
    expect((await bob.data(`{ batchPredictions { edges { node { id } } } }`)).batchPredictions.edges).toEqual([]);
    expect((await alice.data(`{ batchPredictions { edges { node { id } } } }`)).batchPredictions.edges.map((b: any) => b.node.id)).toContain(jsonl.id);
    const theirs = await bob.gql(PREDICT, { i: { checkpointId: jsonl.checkpointId, datasetId, split: 'TEST' } });
    expect(theirs.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const bobData = await bob.gql(PREDICT, { i: { modelName: 'digits', datasetId, split: 'TEST' } });
    expect(bobData.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await download(alice, '/v1/batch-predictions/00000000-0000-4000-8000-000000000000/download')).status).toBe(404);
  });

  it('refuses bad input with BAD_USER_INPUT and stores nothing', async () => {
    const before = await prisma.batchPrediction.count();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ modelName: 'digits', checkpointId: jsonl.checkpointId, datasetId }, /either modelName .* or checkpointId/],
      [{ datasetId }, /either modelName .* or checkpointId/],
      [{ modelName: 'digits', datasetId, topK: 11 }, /topK must be an integer from 1 to 10/],
      [{ modelName: 'digits', datasetId, topK: 0 }, /topK must be an integer from 1 to 10/],
      [{ modelName: 'digits', datasetId, split: 'VALIDATION' }, /has no validation split/],
      [{ modelName: 'digits', version: 1, label: 'stable', datasetId }, /version or label, not both/],
    ];
    for (const [i, message] of cases) {
      const r = await alice.gql(PREDICT, { i });
      expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0].message).toMatch(message);
    }
    expect((await alice.gql(PREDICT, { i: { modelName: 'digits', version: 7, datasetId } })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await alice.gql(PREDICT, { i: { modelName: 'nope', datasetId } })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(await prisma.batchPrediction.count()).toBe(before);
  });
});

describe('batchPredict in a course', () => {
  it("a student may not run predictions on an assignment's hidden (test) split; on train they may, and only they read them", async () => {
    const owner = anonymous.withKey((await e2e.app.get(AuthService).createTeam('dept')).apiKey);
    const { createCourse } = await owner.data(`mutation { createCourse(name: "ML 101") { course { id } apiKey } }`);
    const instructor = anonymous.withKey(createCourse.apiKey);
    const courseDataset = await uploadMnist(instructor, 'course-mnist', 64, 40);
    const now = Date.now();
    await instructor.data(`mutation($i: CreateAssignmentInput!) { createAssignment(input: $i) { id } }`, {
      i: {
        name: 'Digits',
        datasetId: courseDataset,
        primaryMetric: 'accuracy',
        opensAt: new Date(now - 3600_000).toISOString(),
        deadline: new Date(now + 3600_000).toISOString(),
        privateRevealAt: new Date(now + 7200_000).toISOString(),
      },
    });
    const { createJoinCode } = await instructor.data(`mutation { createJoinCode(input: { maxUses: 2, expiresInHours: 1 }) { code } }`);
    const join = async (name: string) =>
      (await anonymous.data(`mutation($c: String!, $n: String!) { joinCourse(code: $c, name: $n) { userId apiKey } }`, { c: createJoinCode.code, n: name })).joinCourse;
    const ada = await join('Ada');
    const ben = await join('Ben');
    const adaClient = anonymous.withKey(ada.apiKey);
    const benClient = anonymous.withKey(ben.apiKey);
    const courseTeamId = (await instructor.data(`{ me { id } }`)).me.id;
    // Ada's own checkpoint (as her training run would leave it).
    const seeded = await seedCheckpoint(prisma, store, courseTeamId, { datasetId: courseDataset, seed: 2 });
    await prisma.experiment.update({ where: { id: seeded.experimentId }, data: { userId: ada.userId } });

    const hidden = await adaClient.gql(PREDICT, { i: { checkpointId: seeded.checkpointId, datasetId: courseDataset, split: 'TEST' } });
    expect(hidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(hidden.errors?.[0].message).toMatch(/hidden split/);
    // Ben cannot even see Ada's checkpoint.
    expect((await benClient.gql(PREDICT, { i: { checkpointId: seeded.checkpointId, datasetId: courseDataset, split: 'TRAIN' } })).errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const { batchPredict } = await adaClient.data(PREDICT, { i: { checkpointId: seeded.checkpointId, datasetId: courseDataset, split: 'TRAIN', topK: 1 } });
    const { row } = await waitForPrediction(adaClient, batchPredict.id);
    expect(row).toMatchObject({ status: 'SUCCEEDED', processed: 64 });
    expect((await download(adaClient, row.downloadUrl)).status).toBe(200);
    expect((await benClient.gql(GET, { id: row.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await download(benClient, row.downloadUrl)).status).toBe(404);
    expect((await benClient.data(`{ batchPredictions { edges { node { id } } } }`)).batchPredictions.edges).toEqual([]);

    // The instructor may run the hidden split.
    const staff = await instructor.data(PREDICT, { i: { checkpointId: seeded.checkpointId, datasetId: courseDataset, split: 'TEST' } });
    expect((await waitForPrediction(instructor, staff.batchPredict.id)).row).toMatchObject({ status: 'SUCCEEDED', processed: 40 });
    expect((await adaClient.gql(GET, { id: staff.batchPredict.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
