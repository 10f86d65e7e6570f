/**
 * Fair share with the in-process queue (no Redis): the same admission in Postgres orders the runs,
 * so two students' backlogs alternate on a single-concurrency embedded worker, as with BullMQ
 * (course-runs.e2e-spec.ts). The course takes its slots from the live workers (autoDispatchSlots):
 * the embedded worker's heartbeat says 1.
 */
import { AuthService } from '@trainyard/auth';
import { loadConfig } from '@trainyard/config';
import { startTrainyard, RunningTrainyard } from '../../apps/trainyard/src/app';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { mnistSubset, MnistSlug } from '../support/mnist';
import { realServices } from '../support/services';

jest.setTimeout(240_000);

let trainyard: RunningTrainyard;
let teardown: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const services = await realServices();
  teardown = [services.teardown];
  const { REDIS_URL: _redis, QUEUE_PREFIX: _prefix, ...env } = services.env;
  trainyard = await startTrainyard(loadConfig({ ...env, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'test', WORKER_CONCURRENCY: '1' }));
  teardown.unshift(() => trainyard.close());
});

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

it("alternates two students' runs on the in-process queue", async () => {
  const anonymous = new TrainyardClient(trainyard.url);
  const instructor = anonymous.withKey((await trainyard.app.get(AuthService).createTeam('Fair InProc', { kind: 'COURSE' })).apiKey);
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
