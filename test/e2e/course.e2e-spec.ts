/**
 * A whole course on real MNIST (a subset), through the real API over HTTP with a real worker
 * (Postgres, Redis/BullMQ, s3rver): an instructor creates the course, an assignment and join codes;
 * three students join, train tiny runs and submit; limits and the deadline bite; the public
 * leaderboard ranks them; the private one is revealed; re-scores are audited; grades export as CSV.
 * Then the leak test: every GraphQL operation and route a student can call, none of which returns a
 * hidden label or a per-sample result.
 */
import { parse } from 'csv-parse/sync';
import { AuthService } from '@trainyard/auth';
import { PrismaService } from '@trainyard/db';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, MnistSlug } from '../support/mnist';
import { sweepOperations } from '../support/sweep';

jest.setTimeout(240_000);

const TRAIN = 640;
const TEST = 200;

let e2e: E2e;
let prisma: PrismaService;
let anonymous: TrainyardClient;
let instructor: TrainyardClient;
const students: Record<string, { client: TrainyardClient; userId: string; experimentId?: string; checkpointId?: string }> = {};
let datasetId: string;
let assignmentId: string;
let hiddenLabels: number[];
const studentResponses: string[] = [];

const SUBMIT_EXPERIMENT = `mutation($input: SubmitExperimentInput!) { submitExperiment(input: $input) { id } }`;
const SUBMIT = `mutation($a: ID!, $e: ID, $c: ID) { submitToAssignment(assignmentId: $a, experimentId: $e, checkpointId: $c) { id status late publicScore privateScore } }`;
const SUBMISSIONS = `query($a: ID!) { assignment(id: $a) { submissions { id userId status publicScore privateScore late final failureReason } quota { dailyLimit usedToday remainingToday resetsAt totalLimit usedTotal remainingTotal inFlight perGroup } } }`;
const BOARD = `query($a: ID!, $p: Boolean!) { leaderboard(assignmentId: $a, private: $p) { private metric rows { rank name userIds score submissions submittedAt } } }`;

function run(name: string, overrides: Record<string, unknown> = {}) {
  return {
    name,
    datasetId,
    model: { name: 'lenet5' },
    pipeline: { batchSize: 32, shuffleBufferSize: 640 },
    optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
    epochs: 1,
    perPrintTimes: 5,
    checkpoint: { saveCheckpointSteps: 100, keepCheckpointMax: 2 },
    ...overrides,
  };
}

/** A student's client that records every response body, for the leak checks. */
function recording(client: TrainyardClient): TrainyardClient {
  const c = client as TrainyardClient & { gql: TrainyardClient['gql'] };
  const gql = c.gql.bind(c);
  c.gql = async (q, v) => {
    const r = await gql(q, v);
    studentResponses.push(JSON.stringify(r));
    return r;
  };
  return c;
}

async function waitScored(client: TrainyardClient, ids: string[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { assignment } = await client.data(SUBMISSIONS, { a: assignmentId });
    const mine = assignment.submissions.filter((s: any) => ids.includes(s.id));
    if (mine.length === ids.length && mine.every((s: any) => ['SCORED', 'FAILED'].includes(s.status))) return mine;
    if (Date.now() > deadline) throw new Error(`not scored in time: ${JSON.stringify(mine)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  e2e = await startE2e();
  prisma = e2e.app.get(PrismaService);
  anonymous = new TrainyardClient(e2e.url);
  hiddenLabels = Array.from(mnistSubset('test-labels', TEST, { raw: true }).subarray(8));
});

afterAll(() => e2e?.close());

describe('an instructor sets up a course', () => {
  it('creates the course from a team key and gets an instructor key for it', async () => {
    const owner = anonymous.withKey((await e2e.app.get(AuthService).createTeam('dept')).apiKey);
    const { createCourse } = await owner.data(`mutation { createCourse(name: "ML 101") { course { id name } apiKey } }`);
    instructor = anonymous.withKey(createCourse.apiKey);
    expect((await instructor.data(`{ whoami { role teamKind teamName } }`)).whoami).toEqual({ role: 'INSTRUCTOR', teamKind: 'COURSE', teamName: 'ML 101' });
  });

  it('uploads MNIST and creates an assignment whose test split is hidden', async () => {
    datasetId = (await instructor.data(`mutation { createDataset(name: "mnist") { id } }`)).createDataset.id;
    const counts: Record<MnistSlug, number> = { 'train-images': TRAIN, 'train-labels': TRAIN, 'test-images': TEST, 'test-labels': TEST };
    for (const slug of Object.keys(counts) as MnistSlug[]) expect((await instructor.upload(datasetId, slug, mnistSubset(slug, counts[slug]))).status).toBe(200);
    await waitForDataset(instructor, datasetId);
    const now = Date.now();
    const bad = await instructor.gql(`mutation($i: CreateAssignmentInput!) { createAssignment(input: $i) { id } }`, {
      i: { name: 'bad', datasetId, primaryMetric: 'auc', opensAt: new Date(now).toISOString(), deadline: new Date(now + 1).toISOString(), privateRevealAt: new Date(now).toISOString() },
    });
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0].message).toMatch(/primaryMetric "auc" is not one of accuracy, macro_f1/);
    const { createAssignment } = await instructor.data(
      `mutation($i: CreateAssignmentInput!) { createAssignment(input: $i) { id deadline timeZone publicFraction allowedModels } }`,
      {
        i: {
          name: 'Digits',
          datasetId,
          primaryMetric: 'accuracy',
          allowedModels: ['lenet5'],
          maxEpochs: 1,
          opensAt: new Date(now - 3600_000).toISOString(),
          deadline: new Date(now + 3600_000).toISOString(),
          lateWindowSeconds: 3600,
          latePenalty: 0.1,
          publicFraction: 0.3,
          splitSeed: 7,
          privateRevealAt: new Date(now + 7200_000).toISOString(),
          scoreDigits: 3,
          dailyLimit: 2,
          totalLimit: 3,
        },
      },
    );
    assignmentId = createAssignment.id;
    expect(createAssignment).toMatchObject({ timeZone: 'UTC', publicFraction: 0.3, allowedModels: ['lenet5'] });
    expect(createAssignment.deadline).toMatch(/Z$/);
  });
});

describe('students join with a code', () => {
  it('three join with one code; a fourth, an expired and a made-up code are refused', async () => {
    const { createJoinCode } = await instructor.data(`mutation { createJoinCode(input: { maxUses: 3, expiresInHours: 24 }) { id code prefix maxUses } }`);
    expect(createJoinCode.code).toMatch(/^join_/);
    for (const name of ['Ada', 'Ben', 'Cy']) {
      const { joinCourse } = await anonymous.data(`mutation($c: String!, $n: String!) { joinCourse(code: $c, name: $n) { courseName userId role apiKey } }`, { c: createJoinCode.code, n: name });
      expect(joinCourse).toMatchObject({ courseName: 'ML 101', role: 'STUDENT' });
      students[name] = { client: recording(anonymous.withKey(joinCourse.apiKey)), userId: joinCourse.userId };
    }
    const fourth = await anonymous.gql(`mutation($c: String!) { joinCourse(code: $c, name: "Dee") { apiKey } }`, { c: createJoinCode.code });
    expect(fourth.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(fourth.errors?.[0].message).toMatch(/this join code is used up \(3 of 3 joins\)/);
    expect(fourth.errors?.[0].extensions).toMatchObject({ reason: 'used-up' });
    const { createJoinCode: old } = await instructor.data(`mutation { createJoinCode { id code } }`);
    await prisma.joinCode.update({ where: { id: old.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await anonymous.gql(`mutation($c: String!) { joinCourse(code: $c, name: "Eve") { apiKey } }`, { c: old.code })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await anonymous.gql(`mutation { joinCourse(code: "join_AAAAAAAAAAAAAAAAAAAAAA", name: "Mal") { apiKey } }`)).errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'unknown' });
    const codes = (await instructor.data(`{ joinCodes { id uses maxUses code } }`)).joinCodes;
    expect(codes.find((c: any) => c.id === createJoinCode.id)).toMatchObject({ uses: 3, maxUses: 3, code: null });
  });

  it('a student cannot raise their own role or make join codes', async () => {
    const ada = students.Ada.client;
    const raise = await ada.gql(`mutation($u: ID!) { setMemberRole(userId: $u, role: INSTRUCTOR) { role } }`, { u: students.Ada.userId });
    expect(raise.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await ada.gql(`mutation { createJoinCode { code } }`)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await ada.data(`{ whoami { role } }`)).whoami.role).toBe('STUDENT');
  });
});

describe('students train and submit', () => {
  it('each trains a tiny LeNet-5 run; students see only their own runs, without hidden-split metrics', async () => {
    const settings: Record<string, Record<string, unknown>> = {
      Ada: { optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 } },
      Ben: { optimizer: { name: 'SGD', learningRate: 0.0005 } },
      Cy: { optimizer: { name: 'Momentum', learningRate: 0.005, momentum: 0.9 } },
    };
    for (const [name, s] of Object.entries(settings)) {
      students[name].experimentId = (await students[name].client.data(SUBMIT_EXPERIMENT, { input: run(`${name}-run`, s) })).submitExperiment.id;
    }
    for (const s of Object.values(students)) {
      const e = await waitForExperiment(s.client, s.experimentId!, (x) => ['SUCCEEDED', 'FAILED'].includes(x.status));
      expect(e.status).toBe('SUCCEEDED');
      expect(e.metrics).toBeNull(); // the run's test split is the hidden split
      s.checkpointId = e.checkpoints[e.checkpoints.length - 1].id;
    }
    const ada = students.Ada.client;
    expect((await ada.data(`{ experiments { edges { node { id } } } }`)).experiments.edges.map((e: any) => e.node.id)).toEqual([students.Ada.experimentId]);
    expect((await ada.gql(`query($id: ID!) { experiment(id: $id) { id } }`, { id: students.Ben.experimentId })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await ada.get(`/v1/checkpoints/${students.Ben.checkpointId}`)).status).toBe(404);
    const all = (await instructor.data(`{ experiments { edges { node { id metrics { accuracy } } } } }`)).experiments.edges.map((e: any) => e.node);
    expect(all).toHaveLength(3);
    expect(all.every((e: any) => e.metrics.accuracy > 0)).toBe(true);
  });

  it("refuses someone else's checkpoint, a model over the limits, and an unknown assignment", async () => {
    const ada = students.Ada.client;
    expect((await ada.gql(SUBMIT, { a: assignmentId, c: students.Ben.checkpointId })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const mine = await instructor.gql(SUBMIT, { a: assignmentId, c: students.Ben.checkpointId });
    expect(mine.errors?.[0].message).toMatch(/only your own/);
    const twoEpochs = (await ada.data(SUBMIT_EXPERIMENT, { input: run('too-long', { epochs: 2 }) })).submitExperiment.id;
    await waitForExperiment(ada, twoEpochs, (x) => x.status === 'SUCCEEDED');
    const over = await ada.gql(SUBMIT, { a: assignmentId, e: twoEpochs });
    expect(over.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(over.errors?.[0].message).toMatch(/trained 2 epochs; this assignment allows at most 1/);
    expect((await ada.gql(SUBMIT, { a: '00000000-0000-4000-8000-000000000000', e: students.Ada.experimentId })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('scores submissions on the hidden split in the worker; the public leaderboard ranks the students', async () => {
    const ids: Record<string, string> = {};
    for (const [name, s] of Object.entries(students)) ids[name] = (await s.client.data(SUBMIT, { a: assignmentId, e: s.experimentId })).submitToAssignment.id;
    for (const [name, s] of Object.entries(students)) {
      const [sub] = await waitScored(s.client, [ids[name]]);
      expect(sub.status).toBe('SCORED');
      expect(sub.publicScore).toBeGreaterThan(0);
      expect(sub.publicScore).toBeLessThanOrEqual(1);
      expect(String(sub.publicScore).replace(/^0\./, '').length).toBeLessThanOrEqual(3); // scoreDigits 3
      expect(sub.privateScore).toBeNull(); // not revealed yet
    }
    const { leaderboard } = await students.Ben.client.data(BOARD, { a: assignmentId, p: false });
    expect(leaderboard.rows).toHaveLength(3);
    const scores = leaderboard.rows.map((r: any) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(leaderboard.rows.map((r: any) => r.rank)).toEqual([1, 2, 3]);
    // Ada's well-tuned run beats Ben's tiny learning rate.
    const rank = (n: string) => leaderboard.rows.find((r: any) => r.name === n).rank;
    expect(rank('Ada')).toBeLessThan(rank('Ben'));
    // The instructor's view has the unrounded public and the private scores.
    const staff = (await instructor.data(SUBMISSIONS, { a: assignmentId })).assignment.submissions;
    expect(staff).toHaveLength(3);
    expect(staff.every((s: any) => s.privateScore !== null)).toBe(true);
  });

  it('quotas bite (per day, in total), with the counts and the reset time readable', async () => {
    const ada = students.Ada.client;
    const second = (await ada.data(SUBMIT, { a: assignmentId, e: students.Ada.experimentId })).submitToAssignment.id;
    await waitScored(ada, [second]);
    const third = await ada.gql(SUBMIT, { a: assignmentId, e: students.Ada.experimentId });
    expect(third.errors?.[0].extensions?.code).toBe('QUOTA_EXCEEDED');
    expect(third.errors?.[0].message).toMatch(/2 submissions a day.*resets at \d{4}-\d\d-\d\dT00:00:00.000Z/);
    const { quota } = (await ada.data(SUBMISSIONS, { a: assignmentId })).assignment;
    expect(quota).toMatchObject({ dailyLimit: 2, usedToday: 2, remainingToday: 0, totalLimit: 3, usedTotal: 2, remainingTotal: 1, inFlight: 0, perGroup: false });
    expect(new Date(quota.resetsAt).getTime()).toBeGreaterThan(Date.now());
    // A failed submission does not count: yesterday's two leave today's quota free, the total one left.
    await prisma.submission.updateMany({ where: { userId: students.Ada.userId }, data: { createdAt: new Date(Date.now() - 86_400_000 * 2) } });
    const fourth = (await ada.data(SUBMIT, { a: assignmentId, e: students.Ada.experimentId })).submitToAssignment.id;
    await waitScored(ada, [fourth]);
    const over = await ada.gql(SUBMIT, { a: assignmentId, e: students.Ada.experimentId });
    expect(over.errors?.[0].message).toMatch(/all 3 submissions are used/);
  });

  it('the deadline bites: late within the window (penalised), refused after it, unless extended', async () => {
    await prisma.assignment.update({ where: { id: assignmentId }, data: { deadline: new Date(Date.now() - 60_000) } });
    const late = (await students.Cy.client.data(SUBMIT, { a: assignmentId, e: students.Cy.experimentId })).submitToAssignment;
    expect(late.late).toBe(true);
    await waitScored(students.Cy.client, [late.id]);
    await prisma.assignment.update({ where: { id: assignmentId }, data: { lateWindowSeconds: 0 } });
    const refused = await students.Ben.client.gql(SUBMIT, { a: assignmentId, e: students.Ben.experimentId });
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(refused.errors?.[0].message).toMatch(/the deadline of "Digits" was/);
    await instructor.data(`mutation($a: ID!, $u: ID!, $d: DateTime!) { grantExtension(assignmentId: $a, userId: $u, deadline: $d) }`, {
      a: assignmentId,
      u: students.Ben.userId,
      d: new Date(Date.now() + 600_000).toISOString(),
    });
    const extended = (await students.Ben.client.data(SUBMIT, { a: assignmentId, e: students.Ben.experimentId })).submitToAssignment;
    expect(extended.late).toBe(false);
    await waitScored(students.Ben.client, [extended.id]);
    // Cy picks the late submission as final (her only other one is on time).
    const cySubs = (await students.Cy.client.data(SUBMISSIONS, { a: assignmentId })).assignment.submissions;
    const pick = await students.Cy.client.data(`mutation($a: ID!, $s: [ID!]!) { selectFinalSubmissions(assignmentId: $a, submissionIds: $s) { id final } }`, {
      a: assignmentId,
      s: [late.id],
    });
    expect(pick.selectFinalSubmissions.filter((s: any) => s.final).map((s: any) => s.id)).toEqual([late.id]);
    expect(cySubs).toHaveLength(2);
    const tooMany = await students.Cy.client.gql(`mutation($a: ID!, $s: [ID!]!) { selectFinalSubmissions(assignmentId: $a, submissionIds: $s) { id } }`, {
      a: assignmentId,
      s: [...cySubs.map((s: any) => s.id), late.id],
    });
    expect(tooMany.errors?.[0].message).toMatch(/at most 2 final picks/);
  });
});

describe('after the deadline', () => {
  it('keeps the private leaderboard hidden from students until the reveal, then shows it', async () => {
    const early = await students.Ada.client.gql(BOARD, { a: assignmentId, p: true });
    expect(early.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(early.errors?.[0].message).toMatch(/revealed at/);
    await prisma.assignment.update({ where: { id: assignmentId }, data: { privateRevealAt: new Date(Date.now() - 1000) } });
    const { leaderboard } = await students.Ada.client.data(BOARD, { a: assignmentId, p: true });
    expect(leaderboard.private).toBe(true);
    expect(leaderboard.rows).toHaveLength(3);
    expect(leaderboard.rows.every((r: any) => r.score > 0 && r.rank >= 1)).toBe(true);
    const subs = (await students.Ada.client.data(SUBMISSIONS, { a: assignmentId })).assignment.submissions;
    expect(subs.every((s: any) => s.privateScore !== null)).toBe(true);
  });

  it('re-scores every submission with an audit trail of who asked and what changed', async () => {
    const before = (await instructor.data(SUBMISSIONS, { a: assignmentId })).assignment.submissions;
    const { rescoreSubmissions } = await instructor.data(`mutation($a: ID!) { rescoreSubmissions(assignmentId: $a) }`, { a: assignmentId });
    expect(rescoreSubmissions).toBe(before.length);
    const after = await waitScored(instructor, before.map((s: any) => s.id));
    for (const s of after) expect(s.publicScore).toBeCloseTo(before.find((b: any) => b.id === s.id).publicScore, 6); // deterministic scorer
    const { scoreAudit } = await instructor.data(`query($a: ID!) { scoreAudit(assignmentId: $a) { submissionId actorUserId reason oldPublic newPublic } }`, { a: assignmentId });
    const instructorId = (await instructor.data(`{ whoami { user { id } } }`)).whoami.user.id;
    expect(scoreAudit.filter((r: any) => r.reason === 're-score requested' && r.actorUserId === instructorId)).toHaveLength(before.length);
    expect(scoreAudit.filter((r: any) => r.reason === 're-scored (round 1)')).toHaveLength(before.length);
    expect(scoreAudit.filter((r: any) => r.reason === 'scored')).toHaveLength(before.length);
    expect((await students.Ada.client.gql(`query($a: ID!) { scoreAudit(assignmentId: $a) { reason } }`, { a: assignmentId })).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('exports grades as CSV: one row per student, late penalty applied', async () => {
    const r = await instructor.get(`/v1/assignments/${assignmentId}/grades.csv`);
    expect(r.status).toBe(200);
    const rows = parse((r.body as Buffer).toString('utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((x) => x.student).sort()).toEqual(['Ada', 'Ben', 'Cy']);
    const cy = rows.find((x) => x.student === 'Cy')!;
    expect(cy.late).toBe('true');
    expect(Number(cy.late_penalty_applied)).toBe(0.1);
    expect(Number(cy.final_score)).toBeCloseTo(Number(cy.final_private) * 0.9, 2);
    const ada = rows.find((x) => x.student === 'Ada')!;
    expect(ada).toMatchObject({ late: 'false', submissions: '3' });
    expect(Number(ada.final_score)).toBe(Number(ada.final_private));
    expect((await students.Ada.client.get(`/v1/assignments/${assignmentId}/grades.csv`)).status).toBe(403);
  });
});

describe('the leak test', () => {
  it('no route or GraphQL operation a student can call returns a hidden label or a per-sample result', async () => {
    const ada = students.Ada.client;
    // REST: the hidden split's files answer as missing files; the train split is there to download.
    for (const file of ['test-labels', 'test-images']) {
      const r = await ada.get(`/v1/datasets/${datasetId}/files/${file}`);
      expect(r.status).toBe(404);
      studentResponses.push(JSON.stringify(r.body));
    }
    expect((await ada.get(`/v1/datasets/${datasetId}/files/train-labels`)).status).toBe(200);
    expect((await ada.upload(datasetId, 'test-labels', mnistSubset('test-labels', TEST))).status).toBe(403);
    for (const path of [`/v1/assignments/${assignmentId}/grades.csv`, `/v1/checkpoints/${students.Ada.checkpointId}`]) {
      const r = await ada.get(path);
      studentResponses.push(Buffer.isBuffer(r.body) ? `<${r.body.length} bytes>` : JSON.stringify(r.body));
    }
    // A deployment of one's own checkpoint predicts only what the student sends.
    await ada.data(`mutation($c: ID!) { deployCheckpoint(name: "ada", checkpointId: $c) { name } }`, { c: students.Ada.checkpointId });
    // Every operation of the live schema, with placeholders and with the course's real ids.
    const ops = await sweepOperations(ada);
    const real: Record<string, unknown> = { assignmentId, id: assignmentId, datasetId };
    for (const op of ops) {
      await ada.gql(op.query, op.variables);
      const vars = Object.fromEntries(Object.entries(op.variables).map(([k, v]) => [k, k in real ? real[k] : v]));
      await ada.gql(op.query, vars);
    }
    // Deep reads of everything the student can reach.
    const { dataset } = await ada.data(`query($d: ID!) { dataset(id: $d) { id testCount classHistogram files { role count sha256 } } }`, { d: datasetId });
    expect(dataset.files.map((f: any) => f.role).sort()).toEqual(['TRAIN_IMAGES', 'TRAIN_LABELS']);
    const { dataset: versioned } = await ada.data(`query($d: ID!) { dataset(id: $d) { currentVersion { id splits { name histogram } sources { name sha256 } } versions { splits { name } sources { name } } } }`, { d: datasetId });
    expect(versioned.currentVersion.splits.map((x: any) => x.name)).not.toContain('test');
    expect(versioned.currentVersion.sources.map((x: any) => x.name).sort()).toEqual(['train-images', 'train-labels']);
    expect(versioned.versions.flatMap((v: any) => v.sources.map((x: any) => x.name))).not.toContain('test-labels');
    const versionId = versioned.currentVersion.id;
    expect((await ada.get(`/v1/dataset-versions/${versionId}/preview.png`)).status).toBe(404);
    expect((await instructor.get(`/v1/dataset-versions/${versionId}/preview.png`)).status).toBe(200);
    expect((await ada.upload(datasetId, 'train-labels', mnistSubset('train-labels', TRAIN))).status).toBe(403);
    const newVersion = await ada.gql(`mutation($d: ID!) { createDatasetVersion(datasetId: $d, format: "idx") { id } }`, { d: datasetId });
    expect(newVersion.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const direct = await ada.data(`query($v: ID!) { datasetVersion(id: $v) { splits { name } sources { name } } }`, { v: versionId });
    expect(direct.datasetVersion.sources.map((x: any) => x.name)).not.toContain('test-labels');
    await ada.gql(`query($a: ID!) {
      experiments { edges { node { id metrics { accuracy confusionMatrix } checkpoints { id } losses { step loss } lossPoints { edges { node { step loss } } } } } }
      assignment(id: $a) { submissions { id publicScore privateScore failureReason } quota { usedTotal } }
      pub: leaderboard(assignmentId: $a, private: false) { rows { score } }
      priv: leaderboard(assignmentId: $a, private: true) { rows { score } }
    }`, { a: assignmentId });

    expect(studentResponses.length).toBeGreaterThan(80);
    const labelRun = hiddenLabels.slice(0, 24);
    const publicCount = Math.round(TEST * 0.3);
    for (const body of studentResponses) {
      expect(body).not.toContain(JSON.stringify(labelRun));
      expect(body).not.toContain(labelRun.join(''));
      expect(body).not.toContain(labelRun.join(','));
      // per-sample results would be arrays as long as a part of the hidden split
      const longest = (v: unknown): number => (Array.isArray(v) ? Math.max(v.length, ...v.map(longest)) : v && typeof v === 'object' ? Math.max(0, ...Object.values(v).map(longest)) : 0);
      if (body.includes('"__schema"')) continue; // the schema itself (introspection), not data
      const n = longest(JSON.parse(body.startsWith('<') ? 'null' : body));
      if (n >= publicCount) throw new Error(`an array of ${n} items in a student's response: ${body.slice(0, 300)}`);
    }
  });
});
