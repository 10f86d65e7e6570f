/**
 * Fair share with the in-process queue (no Redis): the same admission in Postgres orders the runs,
 * so two students' backlogs alternate on a single-concurrency embedded worker, as with BullMQ
 * (course-runs.e2e-spec.ts). The course takes its slots from the live workers (autoDispatchSlots):
 * the embedded worker's heartbeat says 1.
 */
import { AuthService } from '@trainyard/auth';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, MnistSlug } from '../support/mnist';

jest.setTimeout(240_000);

let e2e: E2e;

beforeAll(async () => {
  // No REDIS_URL (nor its QUEUE_PREFIX): the in-process queue.
  e2e = await startE2e({ REDIS_URL: undefined, QUEUE_PREFIX: undefined, WORKER_CONCURRENCY: '1' });
});

afterAll(() => e2e?.close());

it("alternates two students' runs on the in-process queue", async () => {
  const anonymous = new TrainyardClient(e2e.url);
  const instructor = anonymous.withKey((await e2e.app.get(AuthService).createTeam('Fair InProc', { kind: 'COURSE' })).apiKey);
  const datasetId = (await instructor.data(`mutation { createDataset(name: "mnist") { id } }`)).createDataset.id as string;
  const counts: Record<MnistSlug, number> = { 'train-images': 320, 'train-labels': 320, 'test-images': 32, 'test-labels': 32 };
  for (const slug of Object.keys(counts) as MnistSlug[]) await instructor.upload(datasetId, slug, mnistSubset(slug, counts[slug]));
  await waitForDataset(instructor, datasetId);
  // Slots from the workers alive: this process's worker reports its WORKER_CONCURRENCY of 1.
  const { updateCourse } = await instructor.data(`mutation { updateCourse(input: { autoDispatchSlots: true }) { autoDispatchSlots effectiveDispatchSlots } }`);
  expect(updateCourse).toEqual({ autoDispatchSlots: true, effectiveDispatchSlots: 1 });
  const { code } = (await instructor.data(`mutation { createJoinCode { code } }`)).createJoinCode;
  const join = async (n: string) => anonymous.withKey((await anonymous.data(`mutation($c: String!, $n: String!) { joinCourse(code: $c, name: $n) { apiKey } }`, { c: code, n })).joinCourse.apiKey);
  const owners: Record<string, TrainyardClient> = { A: await join('Ann'), B: await join('Bob') };
  const run = (name: string, epochs: number) => ({
    name,
    datasetId,
    model: { name: 'lenet5' },
    pipeline: { batchSize: 32, shuffleBufferSize: 320 },
    optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
    epochs,
  });
  const SUBMIT = `mutation($i: SubmitExperimentInput!) { submitExperiment(input: $i) { id } }`;
  const ids: Record<string, string> = {};
  ids.A1 = (await owners.A.data(SUBMIT, { i: run('A1', 4) })).submitExperiment.id;
  await waitForExperiment(owners.A, ids.A1, (e) => e.status === 'RUNNING', 60_000);
  for (const n of ['A2', 'A3']) ids[n] = (await owners.A.data(SUBMIT, { i: run(n, 1) })).submitExperiment.id;
  for (const n of ['B1', 'B2']) ids[n] = (await owners.B.data(SUBMIT, { i: run(n, 1) })).submitExperiment.id;
  const started: Array<[string, number]> = [];
  for (const [name, id] of Object.entries(ids)) {
    await waitForExperiment(owners[name[0]], id, (e) => e.status === 'SUCCEEDED', 180_000);
    const { experiment } = await instructor.data(`query($id: ID!) { experiment(id: $id) { startedAt } }`, { id });
    started.push([name, new Date(experiment.startedAt).getTime()]);
  }
  // FIFO would be A1 A2 A3 B1 B2.
  expect(started.sort((a, b) => a[1] - b[1]).map(([n]) => n)).toEqual(['A1', 'B1', 'A2', 'B2', 'A3']);
});
