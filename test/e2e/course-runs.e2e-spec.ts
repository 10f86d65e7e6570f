/**
 * Training runs in a course, on the real API with a real BullMQ worker (Postgres, Redis, s3rver):
 * compute budgets pause a run at a checkpoint and resume it from there when the instructor raises
 * the budget; runs are dispatched round-robin across students (fair share); the in-flight limit bites.
 */
import { AuthService } from '@trainyard/auth';
import { PrismaService } from '@trainyard/db';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, MnistSlug } from '../support/mnist';

jest.setTimeout(240_000);

let e2e: E2e;
let anonymous: TrainyardClient;

const SUBMIT = `mutation($i: SubmitExperimentInput!) { submitExperiment(input: $i) { id } }`;
const USAGE = `{ computeUsage { budgetSeconds usedSeconds remainingSeconds runsInFlight pausedRuns perGroup } }`;

async function course(name: string, students: string[]) {
  const instructor = anonymous.withKey((await e2e.app.get(AuthService).createTeam(name, { kind: 'COURSE' })).apiKey);
  const datasetId = (await instructor.data(`mutation { createDataset(name: "mnist") { id } }`)).createDataset.id as string;
  const counts: Record<MnistSlug, number> = { 'train-images': 640, 'train-labels': 640, 'test-images': 64, 'test-labels': 64 };
  for (const slug of Object.keys(counts) as MnistSlug[]) await instructor.upload(datasetId, slug, mnistSubset(slug, counts[slug]));
  await waitForDataset(instructor, datasetId);
  const { code } = (await instructor.data(`mutation { createJoinCode { code } }`)).createJoinCode;
  const clients: Record<string, { c: TrainyardClient; id: string }> = {};
  for (const n of students) {
    const { joinCourse } = await anonymous.data(`mutation($c: String!, $n: String!) { joinCourse(code: $c, name: $n) { userId apiKey } }`, { c: code, n });
    clients[n] = { c: anonymous.withKey(joinCourse.apiKey), id: joinCourse.userId };
  }
  const run = (runName: string, epochs: number) => ({
    name: runName,
    datasetId,
    model: { name: 'lenet5' },
    pipeline: { batchSize: 32, shuffleBufferSize: 640 },
    optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
    epochs,
    perPrintTimes: 20,
    checkpoint: { saveCheckpointSteps: 40, keepCheckpointMax: 3 },
  });
  return { instructor, students: clients, run };
}

beforeAll(async () => {
  e2e = await startE2e({ WORKER_CONCURRENCY: '1' });
  anonymous = new TrainyardClient(e2e.url);
});

afterAll(() => e2e?.close());

describe('compute budgets', () => {
  it('pause a run at a checkpoint when the budget runs out, and resume it from there when it is raised', async () => {
    const { instructor, students, run } = await course('Budget 101', ['Ann']);
    await instructor.data(`mutation { updateCourse(input: { computeBudgetSeconds: 100000 }) { computeBudgetSeconds } }`);
    const ann = students.Ann.c;
    const id = (await ann.data(SUBMIT, { i: run('long', 30) })).submitExperiment.id;
    // Once it is training, the instructor cuts Ann's budget below what she has used.
    await waitForExperiment(ann, id, (e) => e.progress.step > 0, 120_000);
    await instructor.data(`mutation($u: ID!) { setComputeBudget(userId: $u, seconds: 1) { budgetSeconds } }`, { u: students.Ann.id });
    const paused = await waitForExperiment(ann, id, (e) => ['PAUSED', 'SUCCEEDED', 'FAILED'].includes(e.status));
    expect(paused.status).toBe('PAUSED');
    expect(paused.progress.step).toBeGreaterThan(0);
    expect(paused.progress.step).toBeLessThan(paused.progress.totalSteps);
    // The pause saved a checkpoint at the step it stopped on: nothing trained is lost.
    expect(paused.checkpoints[paused.checkpoints.length - 1].step).toBe(paused.progress.step);
    const usage = (await ann.data(USAGE)).computeUsage;
    expect(usage).toMatchObject({ budgetSeconds: 1, remainingSeconds: 0, pausedRuns: 1, runsInFlight: 0, perGroup: false });
    expect(usage.usedSeconds).toBeGreaterThanOrEqual(1);
    // A new run with the budget spent pauses before it starts.
    const second = (await ann.data(SUBMIT, { i: run('short', 1) })).submitExperiment.id;
    const waiting = await waitForExperiment(ann, second, (e) => e.status !== 'QUEUED' && e.status !== 'RUNNING');
    expect(waiting).toMatchObject({ status: 'PAUSED', progress: { step: 0 } });
    // Only the instructor raises budgets; raising Ann's resumes both, from their checkpoints.
    expect((await ann.gql(`mutation($u: ID!) { setComputeBudget(userId: $u, seconds: 1000) { budgetSeconds } }`, { u: students.Ann.id })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const raised = await instructor.data(`mutation($u: ID!) { setComputeBudget(userId: $u, seconds: 1000) { budgetSeconds remainingSeconds } }`, { u: students.Ann.id });
    expect(raised.setComputeBudget.budgetSeconds).toBe(1000);
    const done = await waitForExperiment(ann, id, (e) => ['SUCCEEDED', 'FAILED', 'PAUSED'].includes(e.status) && e.attempt > 1, 180_000);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.progress.step).toBe(done.progress.totalSteps);
    expect(done.attempt).toBe(2);
    // Resumed, not restarted: the loss series continues without repeats.
    const steps = done.losses.map((l: any) => l.step);
    expect(new Set(steps).size).toBe(steps.length);
    expect(steps).toEqual([...steps].sort((a: number, b: number) => a - b));
    expect((await waitForExperiment(ann, second, (e) => e.status === 'SUCCEEDED')).status).toBe('SUCCEEDED');
  });
});

describe('fair share', () => {
  it("dispatches runs round-robin across students: one student's backlog does not starve the others", async () => {
    const { instructor, students, run } = await course('Fair 101', ['Ava', 'Bo', 'Cal']);
    // One training slot for the course, as the one single-concurrency worker gives.
    await instructor.data(`mutation { updateCourse(input: { maxConcurrentRuns: 3, dispatchSlots: 1 }) { maxConcurrentRuns } }`);
    const ids: Record<string, string> = {};
    // Ava queues three runs first (the first one occupies the only training slot), then Bo two, Cal one.
    ids.A1 = (await students.Ava.c.data(SUBMIT, { i: run('A1', 12) })).submitExperiment.id;
    await waitForExperiment(students.Ava.c, ids.A1, (e) => e.status === 'RUNNING', 30_000);
    ids.A2 = (await students.Ava.c.data(SUBMIT, { i: run('A2', 1) })).submitExperiment.id;
    ids.A3 = (await students.Ava.c.data(SUBMIT, { i: run('A3', 1) })).submitExperiment.id;
    const fourth = await students.Ava.c.gql(SUBMIT, { i: run('A4', 1) });
    expect(fourth.errors?.[0].extensions?.code).toBe('QUOTA_EXCEEDED');
    expect(fourth.errors?.[0].message).toMatch(/3 runs are queued or running \(limit 3\)/);
    ids.B1 = (await students.Bo.c.data(SUBMIT, { i: run('B1', 1) })).submitExperiment.id;
    ids.B2 = (await students.Bo.c.data(SUBMIT, { i: run('B2', 1) })).submitExperiment.id;
    ids.C1 = (await students.Cal.c.data(SUBMIT, { i: run('C1', 1) })).submitExperiment.id;
    expect((await waitForExperiment(students.Ava.c, ids.A1, (e) => e.status !== 'QUEUED')).status).toBe('RUNNING'); // the rest were queued behind it
    const started: Array<[string, number]> = [];
    for (const [name, id] of Object.entries(ids)) {
      const owner = { A: students.Ava, B: students.Bo, C: students.Cal }[name[0] as 'A' | 'B' | 'C'];
      await waitForExperiment(owner.c, id, (e) => e.status === 'SUCCEEDED', 120_000);
      const { experiment } = await instructor.data(`query($id: ID!) { experiment(id: $id) { startedAt } }`, { id });
      started.push([name, new Date(experiment.startedAt).getTime()]);
    }
    const order = started.sort((a, b) => a[1] - b[1]).map(([n]) => n);
    // FIFO would be A1 A2 A3 B1 B2 C1.
    expect(order).toEqual(['A1', 'B1', 'C1', 'A2', 'B2', 'A3']);
  });

  it("alternates two students' backlogs run by run, the instructor's run first; waiting runs are not in the queue", async () => {
    const { instructor, students, run } = await course('Fair 102', ['Ann', 'Bob']);
    await instructor.data(`mutation { updateCourse(input: { maxConcurrentRuns: 4, dispatchSlots: 1, staffRunsFirst: true }) { dispatchSlots staffRunsFirst } }`);
    const owners: Record<string, TrainyardClient> = { A: students.Ann.c, B: students.Bob.c, I: instructor };
    const ids: Record<string, string> = {};
    // Ann's whole backlog first (A1 takes the only slot), then Bob's, then the instructor's run.
    ids.A1 = (await students.Ann.c.data(SUBMIT, { i: run('A1', 6) })).submitExperiment.id;
    await waitForExperiment(students.Ann.c, ids.A1, (e) => e.status === 'RUNNING', 60_000);
    for (const n of ['A2', 'A3', 'A4']) ids[n] = (await students.Ann.c.data(SUBMIT, { i: run(n, 1) })).submitExperiment.id;
    for (const n of ['B1', 'B2', 'B3']) ids[n] = (await students.Bob.c.data(SUBMIT, { i: run(n, 1) })).submitExperiment.id;
    ids.I1 = (await instructor.data(SUBMIT, { i: run('I1', 1) })).submitExperiment.id;
    // Only the admitted run is in the training queue; the others wait in Postgres for their turn.
    const prisma = e2e.app.get(PrismaService);
    const waiting = await prisma.experiment.findMany({ where: { id: { in: Object.values(ids) }, admittedAt: null } });
    expect(waiting.map((e) => e.name).sort()).toEqual(['A2', 'A3', 'A4', 'B1', 'B2', 'B3', 'I1']);
    const started: Array<[string, number]> = [];
    for (const [name, id] of Object.entries(ids)) {
      await waitForExperiment(owners[name[0]], id, (e) => e.status === 'SUCCEEDED', 180_000);
      const { experiment } = await instructor.data(`query($id: ID!) { experiment(id: $id) { startedAt } }`, { id });
      started.push([name, new Date(experiment.startedAt).getTime()]);
    }
    const order = started.sort((a, b) => a[1] - b[1]).map(([n]) => n);
    // FIFO would be A1 A2 A3 A4 B1 B2 B3 I1.
    expect(order).toEqual(['A1', 'I1', 'B1', 'A2', 'B2', 'A3', 'B3', 'A4']);
  });
});
