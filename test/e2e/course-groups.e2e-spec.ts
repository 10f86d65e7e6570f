/**
 * Course groups on the real API and worker: a size limit, shared experiments and a shared
 * submission quota, one leaderboard row per group, the roster lock; and submissions whose model
 * does not fit the assignment's data.
 */
import { AuthService } from '@trainyard/auth';
import { TrainyardClient, waitForDataset, waitForExperiment } from '../support/client';
import { E2e, startE2e } from '../support/e2e';
import { mnistSubset, MnistSlug } from '../support/mnist';

jest.setTimeout(180_000);

let e2e: E2e;
let anonymous: TrainyardClient;
let instructor: TrainyardClient;
let code: string;
let datasetId: string;
let assignmentId: string;
const s: Record<string, { c: TrainyardClient; id: string }> = {};

const JOIN = `mutation($c: String!, $n: String!) { joinCourse(code: $c, name: $n) { userId apiKey } }`;
const SUBMIT = `mutation($a: ID!, $e: ID) { submitToAssignment(assignmentId: $a, experimentId: $e) { id groupId } }`;
const QUOTA = `query($a: ID!) { assignment(id: $a) { quota { usedTotal remainingTotal perGroup } } }`;

function run(name: string, model: Record<string, unknown> = { name: 'lenet5' }) {
  return {
    name,
    datasetId,
    model,
    pipeline: { batchSize: 32, shuffleBufferSize: 320 },
    optimizer: { name: 'Momentum', learningRate: 0.01, momentum: 0.9 },
    epochs: 1,
    checkpoint: { saveCheckpointSteps: 100, keepCheckpointMax: 1 },
  };
}

beforeAll(async () => {
  e2e = await startE2e();
  anonymous = new TrainyardClient(e2e.url);
  instructor = anonymous.withKey((await e2e.app.get(AuthService).createTeam('Vision 202', { kind: 'COURSE' })).apiKey);
  datasetId = (await instructor.data(`mutation { createDataset(name: "mnist") { id } }`)).createDataset.id;
  const counts: Record<MnistSlug, number> = { 'train-images': 320, 'train-labels': 320, 'test-images': 100, 'test-labels': 100 };
  for (const slug of Object.keys(counts) as MnistSlug[]) await instructor.upload(datasetId, slug, mnistSubset(slug, counts[slug]));
  await waitForDataset(instructor, datasetId);
  const now = Date.now();
  assignmentId = (
    await instructor.data(`mutation($i: CreateAssignmentInput!) { createAssignment(input: $i) { id } }`, {
      i: {
        name: 'Groups',
        datasetId,
        opensAt: new Date(now - 60_000).toISOString(),
        deadline: new Date(now + 3600_000).toISOString(),
        privateRevealAt: new Date(now + 7200_000).toISOString(),
        totalLimit: 2,
      },
    })
  ).createAssignment.id;
  code = (await instructor.data(`mutation { createJoinCode(input: { maxUses: 5, expiresInHours: 1 }) { code } }`)).createJoinCode.code;
  for (const n of ['Dot', 'Eli', 'Fay']) {
    const { joinCourse } = await anonymous.data(JOIN, { c: code, n });
    s[n] = { c: anonymous.withKey(joinCourse.apiKey), id: joinCourse.userId };
  }
});

afterAll(() => e2e?.close());

describe('groups', () => {
  it('exist only when the instructor allows them, and stop at the size limit', async () => {
    const none = await s.Dot.c.gql(`mutation { createGroup(name: "rocket") { id } }`);
    expect(none.errors?.[0].message).toMatch(/no groups \(groupSizeLimit is 1\)/);
    expect((await s.Dot.c.gql(`mutation { updateCourse(input: { groupSizeLimit: 2 }) { groupSizeLimit } }`)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    await instructor.data(`mutation { updateCourse(input: { groupSizeLimit: 2 }) { groupSizeLimit } }`);
    const { createGroup } = await s.Dot.c.data(`mutation { createGroup(name: "rocket") { id memberIds } }`);
    expect(createGroup.memberIds).toEqual([s.Dot.id]);
    const joined = await s.Eli.c.data(`mutation($g: ID!) { joinGroup(groupId: $g) { memberIds } }`, { g: createGroup.id });
    expect(joined.joinGroup.memberIds.sort()).toEqual([s.Dot.id, s.Eli.id].sort());
    const full = await s.Fay.c.gql(`mutation($g: ID!) { joinGroup(groupId: $g) { id } }`, { g: createGroup.id });
    expect(full.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(full.errors?.[0].message).toMatch(/group is full \(2 of 2\)/);
  });

  it('share experiments inside the group only', async () => {
    const exp = (await s.Dot.c.data(`mutation($i: SubmitExperimentInput!) { submitExperiment(input: $i) { id } }`, { i: run('dot-run') })).submitExperiment.id;
    await waitForExperiment(s.Dot.c, exp, (e) => e.status === 'SUCCEEDED');
    expect((await s.Eli.c.data(`{ experiments { edges { node { id userId } } } }`)).experiments.edges).toEqual([{ node: { id: exp, userId: s.Dot.id } }]);
    expect((await s.Fay.c.data(`{ experiments { totalCount edges { node { id } } } }`)).experiments).toEqual({ totalCount: 0, edges: [] });
    // Eli submits the group's run; the group's quota is shared.
    const first = (await s.Eli.c.data(SUBMIT, { a: assignmentId, e: exp })).submitToAssignment;
    expect(first.groupId).not.toBeNull();
    expect((await s.Dot.c.data(QUOTA, { a: assignmentId })).assignment.quota).toEqual({ usedTotal: 1, remainingTotal: 1, perGroup: true });
    expect((await s.Fay.c.data(QUOTA, { a: assignmentId })).assignment.quota).toEqual({ usedTotal: 0, remainingTotal: 2, perGroup: false });
    await s.Dot.c.data(SUBMIT, { a: assignmentId, e: exp });
    const third = await s.Eli.c.gql(SUBMIT, { a: assignmentId, e: exp });
    expect(third.errors?.[0].extensions?.code).toBe('QUOTA_EXCEEDED');
    expect(third.errors?.[0].message).toMatch(/all 2 submissions of your group are used/);
    expect((await s.Fay.c.gql(SUBMIT, { a: assignmentId, e: exp })).errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('rank as one row; a student with nothing scored sorts last', async () => {
    const deadline = Date.now() + 60_000;
    let rows: any[] = [];
    while (Date.now() < deadline) {
      rows = (await instructor.data(`query($a: ID!) { leaderboard(assignmentId: $a) { rows { rank name userIds score submissions } } }`, { a: assignmentId })).leaderboard.rows;
      if (rows[0]?.score !== null && rows[0]?.score !== undefined) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ rank: 1, name: 'rocket', submissions: 2 });
    expect(rows[0].userIds.sort()).toEqual([s.Dot.id, s.Eli.id].sort());
    expect(rows[1]).toMatchObject({ rank: null, name: 'Fay', score: null, submissions: 0 });
  });
});

describe('fit and roster', () => {
  it('refuses a model whose class count does not fit the assignment', async () => {
    const exp = (await s.Fay.c.data(`mutation($i: SubmitExperimentInput!) { submitExperiment(input: $i) { id } }`, { i: run('twelve', { name: 'lenet5', numClasses: 12 }) })).submitExperiment.id;
    await waitForExperiment(s.Fay.c, exp, (e) => e.status === 'SUCCEEDED');
    const r = await s.Fay.c.gql(SUBMIT, { a: assignmentId, e: exp });
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toMatch(/predicts 12 classes; the assignment's data has 10/);
  });

  it("keeps deployments to their owners: no predicting with, or taking over, a classmate's model", async () => {
    const ckpt = async (c: TrainyardClient) => (await c.data(`{ experiments { edges { node { checkpoints { id } } } } }`)).experiments.edges[0].node.checkpoints[0].id;
    const DEPLOY = `mutation($n: String!, $c: ID!) { deployCheckpoint(name: $n, checkpointId: $c) { name } }`;
    await s.Dot.c.data(DEPLOY, { n: 'rocket', c: await ckpt(s.Dot.c) });
    const instance = { instances: [Array.from({ length: 784 }, () => 0)] };
    expect((await s.Eli.c.post('/v1/models/rocket:predict', instance)).status).toBe(200); // same group
    expect((await s.Fay.c.post('/v1/models/rocket:predict', instance)).status).toBe(404);
    expect((await s.Fay.c.get('/v1/models/rocket')).status).toBe(404);
    const takeover = await s.Fay.c.gql(DEPLOY, { n: 'rocket', c: await ckpt(s.Fay.c) });
    expect(takeover.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect((await instructor.post('/v1/models/rocket:predict', instance)).status).toBe(200);
  });

  it('locks the roster: no joining the course, no group changes', async () => {
    await instructor.data(`mutation($t: DateTime!) { updateCourse(input: { rosterLockAt: $t }) { rosterLockAt } }`, { t: new Date(Date.now() - 1000).toISOString() });
    const join = await anonymous.gql(JOIN, { c: code, n: 'Gus' });
    expect(join.errors?.[0].message).toMatch(/roster of "Vision 202" locked/);
    const leave = await s.Eli.c.gql(`mutation { leaveGroup }`);
    expect(leave.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await instructor.data(`{ joinCodes { uses } }`)).joinCodes[0].uses).toBe(3); // the refused join took no use
  });
});
