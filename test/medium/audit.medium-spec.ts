/**
 * Medium tier: the audit log covers deletions. RetentionService (experiment, checkpoint and dataset
 * deletes, the retention policy) and PeopleService (removing a member) called directly against a
 * real Postgres and Redis (BullMQ: the deleteArtifacts jobs they queue). Each deletion leaves one
 * event with who (the key's id and prefix), what (action, target id, name or step) and when; a
 * refused deletion leaves none.
 */
import { randomUUID } from 'node:crypto';
import { actorOf, AuthFailureLimiter, AuthService, principalOf } from '@trainyard/auth';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import {
  ArtifactDeletionRepository,
  AuditRepository,
  CheckpointRepository,
  DatasetRepository,
  ExperimentRepository,
  PrismaService,
} from '@trainyard/db';
import { PeopleService } from '../../apps/api/src/people/people.service';
import { RetentionService } from '../../apps/api/src/retention/retention.service';
import { bullQueues, migratedDatabase, Teardown } from '../support/medium';

jest.setTimeout(60_000);

let prisma: PrismaService;
let audit: AuditRepository;
let auth: AuthService;
let retention: RetentionService;
const teardown: Teardown = [];

beforeAll(async () => {
  ({ prisma } = await migratedDatabase('trainyard_medium_audit', teardown));
  const { jobQueue } = bullQueues(teardown);
  audit = new AuditRepository(prisma);
  auth = new AuthService(prisma, audit, new AuthFailureLimiter());
  retention = new RetentionService(
    new ArtifactDeletionRepository(prisma),
    new ExperimentRepository(prisma),
    new CheckpointRepository(prisma),
    new DatasetRepository(prisma),
    prisma,
    jobQueue,
    audit,
  );
});

afterAll(async () => {
  for (const step of teardown) await step().catch((e) => console.error(e));
});

/** A team, its owner's principal (as a key authenticates it) and an admin key's actor. */
async function team() {
  const { team: t, apiKey } = await auth.createTeam(`audit-${randomUUID().slice(0, 8)}`);
  const owner = await auth.authenticate(apiKey);
  return { teamId: t.id, owner, actor: actorOf(owner.team) };
}

async function finishedRun(teamId: string, status: 'SUCCEEDED' | 'RUNNING' = 'SUCCEEDED') {
  const ds = await prisma.dataset.create({ data: { teamId, name: `ds-${randomUUID().slice(0, 8)}`, status: 'READY', imageShape: [28, 28, 1], numClasses: 10 } });
  const e = await prisma.experiment.create({ data: { teamId, datasetId: ds.id, name: 'to-delete', spec: {}, status } });
  const checkpoints = await Promise.all([10, 20, 30].map((step) => prisma.checkpoint.create({ data: { experimentId: e.id, step, epoch: 0, storageKey: `teams/${teamId}/x/${step}`, sizeBytes: 1 } })));
  // Step 20 has the lowest loss: retention keeps it (the best) and step 30 (the newest).
  await prisma.lossPoint.createMany({ data: [[10, 0.5], [20, 0.1], [30, 0.3]].map(([step, loss]) => ({ experimentId: e.id, step, epoch: 0, loss })) });
  return { datasetId: ds.id, experimentId: e.id, checkpoints };
}

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as TrainyardError;
  }
  throw new Error('expected an error');
};

const deletions = async (teamId: string) => (await audit.list(teamId, 100)).filter((e) => e.action !== 'team.create');

it('records who deleted which checkpoint, experiment and dataset, and when', async () => {
  const { teamId, owner, actor } = await team();
  const run = await finishedRun(teamId);
  const t0 = Date.now();
  expect(await retention.deleteCheckpoint(teamId, run.checkpoints[0].id, actor)).toBe(true);
  expect(await retention.deleteExperiment(teamId, run.experimentId, actor)).toBe(true);
  expect(await retention.deleteDataset(teamId, run.datasetId, actor)).toBe(true);
  const events = (await deletions(teamId)).reverse();
  expect(events.map((e) => [e.action, e.target])).toEqual([
    ['checkpoint.delete', run.checkpoints[0].id],
    ['experiment.delete', run.experimentId],
    ['dataset.delete', run.datasetId],
  ]);
  for (const e of events) {
    expect(e).toMatchObject({ actorKeyId: owner.keyId, actorKeyPrefix: owner.team.keyPrefix });
    expect(e.createdAt.getTime()).toBeGreaterThanOrEqual(t0 - 1000);
    expect(e.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  }
  expect(events[0].details).toEqual({ experimentId: run.experimentId, step: 10 });
  expect(events[1].details).toEqual({ name: 'to-delete', status: 'SUCCEEDED' });
  expect((events[2].details as { name: string }).name).toMatch(/^ds-/);
  // The actor is a key id and prefix, never the key.
  expect(JSON.stringify(events)).not.toMatch(/ty_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}/);
});

it('records nothing for a refused deletion or another team\'s id', async () => {
  const { teamId, actor } = await team();
  const running = await finishedRun(teamId, 'RUNNING');
  expect((await errorOf(retention.deleteExperiment(teamId, running.experimentId, actor))).code).toBe(ErrorCode.CONFLICT);
  expect((await errorOf(retention.deleteCheckpoint(teamId, running.checkpoints[0].id, actor))).code).toBe(ErrorCode.CONFLICT);
  expect((await errorOf(retention.deleteDataset(teamId, running.datasetId, actor))).code).toBe(ErrorCode.CONFLICT);
  const other = await team();
  expect((await errorOf(retention.deleteExperiment(other.teamId, running.experimentId, other.actor))).code).toBe(ErrorCode.NOT_FOUND);
  expect(await deletions(teamId)).toEqual([]);
  expect(await deletions(other.teamId)).toEqual([]);
  expect(await prisma.experiment.count({ where: { id: running.experimentId } })).toBe(1);
});

it('records a retention policy change with the checkpoints it released, and a removed member', async () => {
  const { teamId, owner, actor } = await team();
  await finishedRun(teamId);
  expect(await retention.setPolicy(teamId, 1, actor)).toEqual({ keepNewest: 1, released: 1 });
  const [policy] = await deletions(teamId);
  expect(policy).toMatchObject({ action: 'retention.set', target: teamId, actorKeyId: owner.keyId, details: { keepNewest: 1, checkpointsReleased: 1 } });

  const people = new PeopleService(prisma, auth, audit);
  const member = await prisma.user.create({ data: { name: 'leaver' } });
  await prisma.membership.create({ data: { teamId, userId: member.id, role: 'MEMBER' } });
  await auth.createApiKey(teamId, 'leaver-key', { userId: member.id });
  expect(await people.remove(principalOf(owner.team), member.id)).toBe(true);
  const [removed] = await deletions(teamId);
  expect(removed).toMatchObject({ action: 'member.remove', target: member.id, actorKeyId: owner.keyId, details: { keysRevoked: 1 } });
});
