/**
 * Course access on the real API (Postgres, Redis/BullMQ, s3rver, a real worker for the ingest):
 * join links and the errors of expired, revoked, used-up and unknown codes; assignment time zones;
 * the runs-in-flight limit under many concurrent submits; students' sweeps are theirs; charts and
 * model downloads only of one's own runs; hidden-split probes answer exactly as not found.
 */
import { AuthService, Principal } from '@trainyard/auth';
import { ExperimentRepository, PrismaService } from '@trainyard/db';
import { CourseRuns } from '../../apps/api/src/courses/course-runs.service';
import { TrainyardClient, waitForDataset } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, MnistSlug } from '../support/mnist';

jest.setTimeout(240_000);

let e2e: E2e;
let prisma: PrismaService;
let anonymous: TrainyardClient;
let instructor: TrainyardClient;
let courseId: string;
let hiddenDataset: string;
let plainDataset: string;
const students: Record<string, { c: TrainyardClient; id: string }> = {};

const run = (name: string, datasetId = hiddenDataset) => ({
  name,
  datasetId,
  model: { name: 'lenet5' },
  pipeline: { batchSize: 32, shuffleBufferSize: 64 },
  optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
  epochs: 1,
});
const SUBMIT = `mutation($i: SubmitExperimentInput!) { submitExperiment(input: $i) { id status } }`;

/** A response body as text with the given ids replaced by ID (to compare a refusal with a miss). */
const norm = (body: unknown, ...ids: string[]) => ids.reduce((t, id) => t.split(id).join('ID'), Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body));

async function post(path: string, body: unknown) {
  const res = await fetch(`${e2e.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

async function get(path: string) {
  const res = await fetch(`${e2e.url}${path}`);
  return { status: res.status, body: (await res.json()) as any };
}

async function dataset(name: string, slugs: MnistSlug[], wait: boolean) {
  const id = (await instructor.data(`mutation($n: String!) { createDataset(name: $n) { id } }`, { n: name })).createDataset.id as string;
  const counts: Record<MnistSlug, number> = { 'train-images': 64, 'train-labels': 64, 'test-images': 40, 'test-labels': 40 };
  for (const slug of slugs) expect((await instructor.upload(id, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
  if (wait) await waitForDataset(instructor, id);
  return id;
}

beforeAll(async () => {
  e2e = await startE2e();
  prisma = e2e.app.get(PrismaService);
  anonymous = new TrainyardClient(e2e.url);
  const created = await e2e.app.get(AuthService).createTeam('Access 101', { kind: 'COURSE' });
  courseId = created.team.id;
  instructor = anonymous.withKey(created.apiKey);
  hiddenDataset = await dataset('digits', ['train-images', 'train-labels', 'test-images', 'test-labels'], true);
  plainDataset = await dataset('practice', ['train-images', 'train-labels'], false);
});

afterAll(() => e2e?.close());

describe('join links', () => {
  it('a link carries the code: GET shows the course, POST joins; used-up, expired, revoked and unknown codes say which', async () => {
    const { createJoinCode } = await instructor.data(`mutation { createJoinCode(input: { maxUses: 2, expiresInHours: 24 }) { id code joinLink expiresAt } }`);
    expect(createJoinCode.joinLink).toBe(`${e2e.url}/v1/join/${createJoinCode.code}`);
    const path = new URL(createJoinCode.joinLink).pathname;
    const shown = await get(path);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ courseName: 'Access 101', role: 'STUDENT', usesLeft: 2, expiresAt: createJoinCode.expiresAt });
    for (const name of ['Ann', 'Bo']) {
      const joined = await post(path, { name });
      expect(joined.status).toBe(201);
      expect(joined.body).toMatchObject({ courseId, courseName: 'Access 101', role: 'STUDENT' });
      students[name] = { c: anonymous.withKey(joined.body.apiKey), id: joined.body.userId };
      expect((await students[name].c.data(`{ whoami { user { name } role } }`)).whoami).toEqual({ user: { name }, role: 'STUDENT' });
    }
    // Reused past its uses: the link and the code say so, and nobody else gets in.
    const reused = await post(path, { name: 'Cy' });
    expect(reused.status).toBe(403);
    expect(reused.body).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'used-up' } });
    expect(reused.body.error).toMatch(/used up \(2 of 2 joins\)/);
    expect((await get(path)).body.details.reason).toBe('used-up');
    const viaGql = await anonymous.gql(`mutation($c: String!) { joinCourse(code: $c, name: "Cy") { apiKey } }`, { c: createJoinCode.code });
    expect(viaGql.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'used-up' });
    // Expired.
    const { createJoinCode: old } = await instructor.data(`mutation { createJoinCode { id code joinLink } }`);
    const expiredAt = new Date(Date.now() - 60_000);
    await prisma.joinCode.update({ where: { id: old.id }, data: { expiresAt: expiredAt } });
    const expired = await post(new URL(old.joinLink).pathname, { name: 'Cy' });
    expect(expired.status).toBe(403);
    expect(expired.body).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'expired', expiresAt: expiredAt.toISOString() } });
    expect(expired.body.error).toContain(`expired at ${expiredAt.toISOString()}`);
    // Revoked.
    const { createJoinCode: revoked } = await instructor.data(`mutation { createJoinCode { id code joinLink } }`);
    expect((await instructor.data(`mutation($id: ID!) { revokeJoinCode(id: $id) }`, { id: revoked.id })).revokeJoinCode).toBe(true);
    const r = await post(new URL(revoked.joinLink).pathname, { name: 'Cy' });
    expect([r.status, r.body.details.reason]).toEqual([403, 'revoked']);
    // Unknown (and malformed) codes.
    for (const code of ['join_AAAAAAAAAAAAAAAAAAAAAA', 'nonsense']) {
      const u = await post(`/v1/join/${code}`, { name: 'Mal' });
      expect([u.status, u.body.code, u.body.details.reason]).toEqual([404, 'NOT_FOUND', 'unknown']);
    }
    // A bad body is a clear 400, and takes no use of a live code.
    const { createJoinCode: fresh } = await instructor.data(`mutation { createJoinCode(input: { maxUses: 1, expiresInHours: 1 }) { id joinLink } }`);
    expect((await post(new URL(fresh.joinLink).pathname, { nom: 'x' })).status).toBe(400);
    expect((await instructor.data(`{ joinCodes { id uses } }`)).joinCodes.find((c: any) => c.id === fresh.id).uses).toBe(0);
    // The link is shown once, like the code.
    expect((await instructor.data(`{ joinCodes { id code joinLink } }`)).joinCodes.every((c: any) => c.code === null && c.joinLink === null)).toBe(true);
  });
});

describe('time zones', () => {
  const CREATE = `mutation($i: CreateAssignmentInput!) { createAssignment(input: $i) {
    id timeZone deadline deadlineLocal opensAtLocal yourDeadlineLocal lateUntilLocal privateRevealAtLocal
    quota { resetsAt resetsAtLocal timeZone } } }`;
  const input = (timeZone: string, name = 'Digits') => ({
    name,
    datasetId: hiddenDataset,
    opensAt: '2026-01-01T00:00:00Z',
    deadline: '2030-07-08T21:59:00Z',
    lateWindowSeconds: 3600,
    privateRevealAt: '2030-12-08T12:00:00Z',
    dailyLimit: 3,
    maxEpochs: 1,
    timeZone,
  });

  it('refuses names that are not IANA zones', async () => {
    for (const tz of ['Mars/Olympus_Mons', '+02:00', 'CET', '']) {
      const r = await instructor.gql(CREATE, { i: input(tz) });
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'timeZone' });
      expect(r.errors?.[0].message).toMatch(/is not an IANA time zone name/);
    }
  });

  it('stores UTC and shows times with the zone and its offset; the daily limit resets at midnight there', async () => {
    const { createAssignment: a } = await instructor.data(CREATE, { i: input('europe/berlin') });
    expect(a.timeZone).toBe('Europe/Berlin');
    expect(a.deadline).toBe('2030-07-08T21:59:00.000Z');
    expect(a.deadlineLocal).toBe('2030-07-08T23:59:00.000+02:00'); // summer time
    expect(a.lateUntilLocal).toBe('2030-07-09T00:59:00.000+02:00');
    expect(a.privateRevealAtLocal).toBe('2030-12-08T13:00:00.000+01:00'); // winter time
    expect(a.opensAtLocal).toBe('2026-01-01T01:00:00.000+01:00');
    expect(new Date(a.deadlineLocal).getTime()).toBe(new Date(a.deadline).getTime());
    const row = await prisma.assignment.findUniqueOrThrow({ where: { id: a.id } });
    expect(row.deadline.toISOString()).toBe('2030-07-08T21:59:00.000Z');
    // The reset: the next midnight in Berlin, as an instant and in the zone.
    const { assignment } = await students.Ann.c.data(`query($a: ID!) { assignment(id: $a) { yourDeadlineLocal quota { resetsAt resetsAtLocal timeZone } } }`, { a: a.id });
    expect(assignment.quota.timeZone).toBe('Europe/Berlin');
    expect(assignment.quota.resetsAtLocal).toMatch(/^\d{4}-\d\d-\d\dT00:00:00\.000\+0[12]:00$/);
    expect(new Date(assignment.quota.resetsAtLocal).getTime()).toBe(new Date(assignment.quota.resetsAt).getTime());
    const untilReset = new Date(assignment.quota.resetsAt).getTime() - Date.now();
    expect(untilReset).toBeGreaterThan(0);
    expect(untilReset).toBeLessThanOrEqual(25 * 3600_000);
    await prisma.assignment.delete({ where: { id: a.id } });
  });
});

describe('runs in flight', () => {
  it('holds the limit exactly under many concurrent submits of one student', async () => {
    await instructor.data(`mutation { updateCourse(input: { maxConcurrentRuns: 3, dispatchSlots: 1 }) { maxConcurrentRuns dispatchSlots } }`);
    const ann = students.Ann.c;
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => ann.gql(SUBMIT, { i: run(`burst-${i}`) })));
    const ok = results.filter((r) => r.data?.submitExperiment);
    const refused = results.filter((r) => r.errors?.[0].extensions?.code === 'QUOTA_EXCEEDED');
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(13);
    expect(refused[0].errors?.[0].message).toMatch(/3 runs are queued or running \(limit 3\)/);
    const inFlight = await prisma.experiment.count({ where: { teamId: courseId, userId: students.Ann.id, status: { in: ['QUEUED', 'RUNNING'] } } });
    expect(inFlight).toBe(3);
    // A sweep counts all its trials: two more would make five.
    const sweep = await students.Bo.c.gql(`mutation($i: CreateSweepInput!) { createSweep(input: $i) { id } }`, {
      i: { name: 'too big', base: run('base'), strategy: 'GRID', budget: 4, space: { learningRate: [0.01, 0.02, 0.03, 0.04] } },
    });
    expect(sweep.errors?.[0].extensions?.code).toBe('QUOTA_EXCEEDED');
    expect(sweep.errors?.[0].message).toMatch(/a sweep of 4 trials would make 4 \(limit 3\)/);
    for (const r of ok) await ann.data(`mutation($id: ID!) { cancelExperiment(id: $id) { status } }`, { id: r.data.submitExperiment.id });
    // Resuming counts too: with three new runs in flight, resuming a cancelled one is refused and it stays cancelled.
    // (A cancel of a queued run lands when a worker sees it; settle it here so only the new runs are in flight.)
    await prisma.experiment.updateMany({ where: { id: { in: ok.map((r) => r.data.submitExperiment.id) } }, data: { status: 'CANCELLED' } });
    const again = [];
    for (let i = 0; i < 3; i++) again.push((await ann.data(SUBMIT, { i: run(`again-${i}`) })).submitExperiment.id);
    const cancelled = ok[0].data.submitExperiment.id;
    const resumed = await ann.gql(`mutation($id: ID!) { resumeExperiment(id: $id) { status } }`, { id: cancelled });
    expect(resumed.errors?.[0].extensions?.code).toBe('QUOTA_EXCEEDED');
    expect((await prisma.experiment.findUniqueOrThrow({ where: { id: cancelled } })).status).toBe('CANCELLED');
    for (const id of again) await ann.data(`mutation($id: ID!) { cancelExperiment(id: $id) { status } }`, { id });
    await prisma.experiment.updateMany({ where: { id: { in: again } }, data: { status: 'CANCELLED' } });
    // With a slot free, the resume goes through.
    expect((await ann.data(`mutation($id: ID!) { resumeExperiment(id: $id) { status } }`, { id: cancelled })).resumeExperiment.status).toBe('QUEUED');
    await ann.data(`mutation($id: ID!) { cancelExperiment(id: $id) { status } }`, { id: cancelled });
    await prisma.experiment.updateMany({ where: { id: cancelled }, data: { status: 'CANCELLED' } });
    // The same check and insert called directly, 24 at once (no HTTP to spread them out): still exactly 3.
    const guard = e2e.app.get(CourseRuns);
    const repo = e2e.app.get(ExperimentRepository);
    const bo = { team: { id: courseId, name: 'Access 101', kind: 'COURSE' }, user: { id: students.Bo.id, name: 'Bo' }, role: 'STUDENT', keyId: 'test', key: { id: 'test', name: 'test', scope: 'admin', models: [] } } as Principal;
    const direct = await Promise.allSettled(
      Array.from({ length: 24 }, async (_, i) =>
        repo.createIdempotent({ teamId: courseId, userId: students.Bo.id, datasetId: hiddenDataset, name: `direct-${i}`, spec: {}, totalSteps: 1 }, await guard.guard(bo)),
      ),
    );
    expect(direct.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(direct.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'QUOTA_EXCEEDED')).toBe(true);
    await prisma.experiment.updateMany({ where: { teamId: courseId, userId: students.Bo.id, name: { startsWith: 'direct-' } }, data: { status: 'CANCELLED' } });
  });
});

describe("students' sweeps", () => {
  it('are owned by the student: trials are theirs, classmates do not see them, the instructor does', async () => {
    const bo = students.Bo.c;
    const { createSweep } = await bo.data(`mutation($i: CreateSweepInput!) { createSweep(input: $i) { id trials { experimentId } } }`, {
      i: { name: 'bo-lr', base: run('base'), strategy: 'GRID', budget: 2, space: { learningRate: [0.01, 0.02] } },
    });
    const trialIds = createSweep.trials.map((t: any) => t.experimentId);
    expect(trialIds).toHaveLength(2);
    const rows = await prisma.experiment.findMany({ where: { id: { in: trialIds } } });
    expect(rows.every((e) => e.userId === students.Bo.id)).toBe(true);
    expect((await prisma.sweep.findUniqueOrThrow({ where: { id: createSweep.id } })).userId).toBe(students.Bo.id);
    // Bo sees them among his experiments; Ann sees neither the sweep nor its trials.
    const mine = (await bo.data(`{ experiments(first: 200) { edges { node { id } } } }`)).experiments.edges.map((e: any) => e.node.id);
    expect(mine).toEqual(expect.arrayContaining(trialIds));
    const ann = students.Ann.c;
    expect((await ann.gql(`query($id: ID!) { sweep(id: $id) { id } }`, { id: createSweep.id })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await ann.data(`{ sweeps { edges { node { id } } } }`)).sweeps.edges).toEqual([]);
    expect((await ann.gql(`query($id: ID!) { experiment(id: $id) { id } }`, { id: trialIds[0] })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await instructor.data(`{ sweeps { edges { node { id } } } }`)).sweeps.edges.map((s: any) => s.node.id)).toContain(createSweep.id);
    // They count against Bo's in-flight limit (3): two trials, so one more run, then no more.
    await bo.data(SUBMIT, { i: run('one more') });
    expect((await bo.gql(SUBMIT, { i: run('too many') })).errors?.[0].extensions?.code).toBe('QUOTA_EXCEEDED');
    for (const id of trialIds) await bo.data(`mutation($id: ID!) { cancelExperiment(id: $id) { status } }`, { id });
    await prisma.experiment.updateMany({ where: { teamId: courseId, status: { in: ['QUEUED', 'RUNNING'] } }, data: { status: 'CANCELLED' } });
  });
});

describe('charts and model downloads', () => {
  let annRun: string;
  let annCheckpoint: string;

  beforeAll(async () => {
    // Ann's finished run on the assignment's dataset, as the worker would leave it (metrics on its test split, a checkpoint, a queued export).
    await instructor.data(`mutation($i: CreateAssignmentInput!) { createAssignment(input: $i) { id } }`, {
      i: { name: 'Hidden', datasetId: hiddenDataset, opensAt: '2026-01-01T00:00:00Z', deadline: '2030-01-01T00:00:00Z', privateRevealAt: '2030-01-02T00:00:00Z' },
    });
    const e = await prisma.experiment.create({
      data: {
        teamId: courseId,
        userId: students.Ann.id,
        datasetId: hiddenDataset,
        name: 'ann-final',
        spec: run('ann-final') as object,
        status: 'SUCCEEDED',
        step: 2,
        totalSteps: 2,
        metrics: { accuracy: 0.8125, confusionMatrix: [[7, 1], [2, 6]] },
      },
    });
    await prisma.lossPoint.createMany({ data: [{ experimentId: e.id, step: 1, epoch: 1, loss: 2.3 }, { experimentId: e.id, step: 2, epoch: 1, loss: 1.9 }] });
    const c = await prisma.checkpoint.create({ data: { experimentId: e.id, step: 2, epoch: 1, storageKey: `test/${e.id}/ckpt`, sizeBytes: 10 } });
    await prisma.checkpointExport.create({ data: { checkpointId: c.id, format: 'ONNX' } });
    annRun = e.id;
    annCheckpoint = c.id;
  });

  it("a classmate gets NOT_FOUND for another student's charts and downloads, exactly as for an unknown id", async () => {
    const bo = students.Bo.c;
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const [path, missing] of [
      [`/v1/experiments/${annRun}/charts/loss.svg`, `/v1/experiments/${unknown}/charts/loss.svg`],
      [`/v1/experiments/${annRun}/charts/confusion.svg`, `/v1/experiments/${unknown}/charts/confusion.svg`],
      [`/v1/checkpoints/${annCheckpoint}/onnx`, `/v1/checkpoints/${unknown}/onnx`],
      [`/v1/checkpoints/${annCheckpoint}/tfjs/model.json`, `/v1/checkpoints/${unknown}/tfjs/model.json`],
      [`/v1/checkpoints/${annCheckpoint}/tfjs/weights.bin`, `/v1/checkpoints/${unknown}/tfjs/weights.bin`],
      [`/v1/checkpoints/${annCheckpoint}`, `/v1/checkpoints/${unknown}`],
    ]) {
      const r = await bo.get(path);
      const m = await bo.get(missing);
      expect([path, r.status]).toEqual([path, 404]);
      expect(norm(r.body, annRun, annCheckpoint)).toBe(norm(m.body, unknown));
    }
    const exp = await bo.gql(`mutation($c: ID!) { exportCheckpoint(checkpointId: $c) { id } }`, { c: annCheckpoint });
    expect(exp.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const exportId = (await prisma.checkpointExport.findFirstOrThrow({ where: { checkpointId: annCheckpoint } })).id;
    expect((await bo.gql(`query($id: ID!) { checkpointExport(id: $id) { id } }`, { id: exportId })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    // The owner and the instructor reach them (the export is still queued: CONFLICT, not NOT_FOUND).
    expect((await students.Ann.c.get(`/v1/checkpoints/${annCheckpoint}/onnx`)).status).toBe(409);
    expect((await instructor.get(`/v1/checkpoints/${annCheckpoint}/onnx`)).status).toBe(409);
    expect((await students.Ann.c.data(`query($id: ID!) { checkpointExport(id: $id) { id } }`, { id: exportId })).checkpointExport.id).toBe(exportId);
  });

  it("a student's own charts show no score on the hidden split; the instructor's do", async () => {
    const ann = students.Ann.c;
    const loss = await ann.get(`/v1/experiments/${annRun}/charts/loss.svg`);
    expect(loss.status).toBe(200);
    const svg = (loss.body as Buffer).toString('utf8');
    expect(svg).toContain('training loss');
    expect(svg).not.toContain('final test accuracy');
    expect(svg).not.toContain('0.8125');
    const confusion = await ann.get(`/v1/experiments/${annRun}/charts/confusion.svg`);
    expect(confusion.status).toBe(404);
    const staff = await instructor.get(`/v1/experiments/${annRun}/charts/loss.svg`);
    expect((staff.body as Buffer).toString('utf8')).toContain('final test accuracy');
    expect((await instructor.get(`/v1/experiments/${annRun}/charts/confusion.svg`)).status).toBe(200);
  });
});

describe('hidden-split probes', () => {
  it('answer with the same code and body as something that does not exist', async () => {
    const ann = students.Ann.c;
    // A hidden test file vs the same file of a dataset that never had one.
    for (const file of ['test-labels', 'test-images']) {
      const hidden = await ann.get(`/v1/datasets/${hiddenDataset}/files/${file}`);
      const missing = await ann.get(`/v1/datasets/${plainDataset}/files/${file}`);
      expect(hidden.status).toBe(404);
      expect(hidden.body).toEqual(missing.body);
    }
    // The hidden version's preview vs a version that does not exist.
    const version = await prisma.datasetVersion.findFirstOrThrow({ where: { datasetId: hiddenDataset } });
    const unknown = '00000000-0000-4000-8000-000000000000';
    const preview = await ann.get(`/v1/dataset-versions/${version.id}/preview.png`);
    const nothing = await ann.get(`/v1/dataset-versions/${unknown}/preview.png`);
    expect(preview.status).toBe(404);
    expect(norm(preview.body, version.id)).toBe(norm(nothing.body, unknown));
    // evaluateCheckpoint on the hidden split vs on a dataset that does not exist.
    const ckpt = (await prisma.checkpoint.findFirstOrThrow({ where: { experiment: { userId: students.Ann.id } } })).id;
    const EVAL = `mutation($c: ID!, $d: ID!) { evaluateCheckpoint(checkpointId: $c, datasetId: $d) { id } }`;
    const probe = (await ann.gql(EVAL, { c: ckpt, d: hiddenDataset })).errors?.[0];
    const absent = (await ann.gql(EVAL, { c: ckpt, d: unknown })).errors?.[0];
    expect(probe?.extensions?.code).toBe('NOT_FOUND');
    expect(norm({ ...probe, path: null, locations: null }, hiddenDataset)).toBe(norm({ ...absent, path: null, locations: null }, unknown));
  });
});
