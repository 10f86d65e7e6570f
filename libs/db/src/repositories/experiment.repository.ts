import { Injectable } from '@nestjs/common';
import { assertId, ErrorCode, notFound, quote, TrainyardError } from '@trainyard/common';
import type { Prisma } from '../generated/prisma/client';
import type { ExperimentStatus } from '../generated/prisma/enums';
import { PrismaService } from '../prisma/prisma.service';
import { NEWEST_FIRST_ORDER, NewestFirstKey, namePrefix, olderThan } from './paging';

/** Thrown when a write carries an attempt token that is no longer current: another run took over. */
export class SupersededError extends Error {
  constructor(experimentId: string, attempt: number) {
    super(`experiment ${experimentId}: attempt ${attempt} was superseded by a newer run`);
    this.name = 'SupersededError';
  }
}

export interface ExperimentFilterRow {
  status?: ExperimentStatus[];
  datasetId?: string;
  sweepId?: string;
  namePrefix?: string;
  /** Only experiments of these users (a student's view); undefined: everyone's. */
  userIds?: string[];
}

export interface NewExperiment {
  teamId: string;
  /** The submitting user (courses: students see only their own and their group's). */
  userId?: string;
  datasetId: string;
  /** The exact dataset version trained on. */
  datasetVersionId?: string | null;
  name: string;
  idempotencyKey?: string;
  /** Digest of the request the key was used with; another request under the same key is a CONFLICT. */
  requestDigest?: string;
  spec: Prisma.InputJsonValue;
  totalSteps: number;
  /** Fine-tuning: start from this checkpoint's weights, with these layers frozen. */
  baseCheckpointId?: string;
  frozenLayers?: string[];
}

export interface LossRecord {
  step: number;
  epoch: number;
  loss: number;
  /** The learning rate in force at that step. */
  lr?: number | null;
}

/** The experiment stored under an idempotency key, if the new request is the one it was made from. */
function sameRequest<T extends { id: string; requestDigest: string | null }>(existing: T, input: NewExperiment): T {
  if (existing.requestDigest && input.requestDigest && existing.requestDigest !== input.requestDigest) {
    throw new TrainyardError(
      ErrorCode.CONFLICT,
      `idempotency key ${quote(input.idempotencyKey)} was already used with a different request (experiment ${existing.id}); use a new key for a new request`,
      { field: 'idempotencyKey', experimentId: existing.id },
    );
  }
  return existing;
}

/**
 * Runs inside the transaction that inserts a new experiment, before the insert: a check that must
 * hold at the moment of the insert (a course's runs-in-flight limit, under an advisory lock).
 */
export type CreateGuard = (tx: Prisma.TransactionClient) => Promise<void>;

const TERMINAL: ExperimentStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/**
 * Experiments and their loss series. Worker writes are fenced by the attempt token: each run of a
 * job claims a new attempt, and every write matches on it, so a worker that froze and came back
 * after its job moved on cannot write over the newer run.
 */
@Injectable()
export class ExperimentRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The team's own limit on a model's parameter count (null: none set, the engine's default applies). */
  async maxModelParams(teamId: string): Promise<number | null> {
    return (await this.prisma.team.findUniqueOrThrow({ where: { id: teamId }, select: { maxModelParams: true } })).maxModelParams;
  }

  async setMaxModelParams(teamId: string, maxParams: number | null): Promise<number | null> {
    return (await this.prisma.team.update({ where: { id: teamId }, data: { maxModelParams: maxParams }, select: { maxModelParams: true } })).maxModelParams;
  }

  /**
   * Creates the experiment, or returns the one already made with the same idempotency key, when it
   * was made from the same request (same digest); the same key with a different request is a
   * CONFLICT, as in payment APIs. `guard` runs in the inserting transaction (a replay under an
   * idempotency key inserts nothing and is not checked again).
   */
  async createIdempotent(input: NewExperiment, guard?: CreateGuard): Promise<{ experiment: Awaited<ReturnType<PrismaService['experiment']['create']>>; created: boolean }> {
    if (input.idempotencyKey) {
      const existing = await this.prisma.experiment.findUnique({
        where: { teamId_idempotencyKey: { teamId: input.teamId, idempotencyKey: input.idempotencyKey } },
      });
      if (existing) return { experiment: sameRequest(existing, input), created: false };
    }
    try {
      const experiment = guard
        ? await this.prisma.$transaction(
            async (tx) => {
              await guard(tx);
              return tx.experiment.create({ data: input });
            },
            { timeout: 30_000, maxWait: 30_000 },
          )
        : await this.prisma.experiment.create({ data: input });
      return { experiment, created: true };
    } catch (e) {
      // Two identical requests raced past the lookup: the unique index let one through.
      if ((e as { code?: string }).code === 'P2002' && input.idempotencyKey) {
        const existing = await this.prisma.experiment.findUniqueOrThrow({
          where: { teamId_idempotencyKey: { teamId: input.teamId, idempotencyKey: input.idempotencyKey } },
        });
        return { experiment: sameRequest(existing, input), created: false };
      }
      throw e;
    }
  }

  /** A page of the team's experiments, newest first, matching the filter (userIds: only theirs). */
  page(teamId: string, filter: ExperimentFilterRow, after: NewestFirstKey | undefined, take: number) {
    return this.prisma.experiment.findMany({ where: { AND: [this.filterWhere(teamId, filter), olderThan(after)] }, orderBy: NEWEST_FIRST_ORDER, take });
  }

  count(teamId: string, filter: ExperimentFilterRow) {
    return this.prisma.experiment.count({ where: this.filterWhere(teamId, filter) });
  }

  private filterWhere(teamId: string, f: ExperimentFilterRow): Prisma.ExperimentWhereInput {
    return {
      teamId,
      ...(f.status?.length ? { status: { in: f.status } } : {}),
      ...(f.datasetId ? { datasetId: f.datasetId } : {}),
      ...(f.sweepId ? { sweepId: f.sweepId } : {}),
      ...(f.userIds ? { userId: { in: f.userIds } } : {}),
      ...namePrefix(f.namePrefix),
    };
  }

  /** Loss points per experiment (one query), and how many each has. */
  async lossCounts(experimentIds: string[]): Promise<Map<string, number>> {
    const rows = await this.prisma.lossPoint.groupBy({ by: ['experimentId'], where: { experimentId: { in: experimentIds } }, _count: { _all: true } });
    return new Map(rows.map((r) => [r.experimentId, r._count._all]));
  }

  list(teamId: string, status?: ExperimentStatus) {
    return this.prisma.experiment.findMany({ where: { teamId, status }, orderBy: { createdAt: 'desc' } });
  }

  async get(teamId: string, id: string) {
    assertId('experiment', id);
    const experiment = await this.prisma.experiment.findFirst({ where: { id, teamId } });
    if (!experiment) throw notFound('experiment', id);
    return experiment;
  }

  /** Records who made an experiment created on their behalf (fine-tunes, reruns), if not yet set. */
  async assignOwner(id: string, userId: string) {
    await this.prisma.experiment.updateMany({ where: { id, userId: null }, data: { userId } });
    return this.prisma.experiment.findUniqueOrThrow({ where: { id } });
  }

  getById(id: string) {
    return this.prisma.experiment.findUnique({ where: { id } });
  }

  /** Asks a run to stop. A queued experiment is cancelled at once; a running one by its worker. */
  async requestCancel(teamId: string, id: string) {
    await this.get(teamId, id);
    await this.prisma.experiment.updateMany({ where: { id, status: { in: ['QUEUED', 'PAUSED'] } }, data: { status: 'CANCELLED', cancelRequested: true, finishedAt: new Date() } });
    await this.prisma.experiment.updateMany({ where: { id, status: 'RUNNING' }, data: { cancelRequested: true } });
    return this.get(teamId, id);
  }

  /**
   * Puts a FAILED or CANCELLED experiment back in the queue, in one statement: QUEUED, cancel and
   * failure cleared, and the attempt bumped so a straggler of the ended run can write nothing more.
   * Returns the new attempt, or undefined when the experiment is not FAILED or CANCELLED.
   */
  async reopen(teamId: string, id: string, guard?: CreateGuard): Promise<number | undefined> {
    assertId('experiment', id);
    const run = (db: Prisma.TransactionClient | PrismaService) => db.$queryRaw<Array<{ attempt: number }>>`
      UPDATE "Experiment"
         SET status = 'QUEUED', "cancelRequested" = false, "failureReason" = NULL, "finishedAt" = NULL, "admittedAt" = NULL,
             attempt = attempt + 1, "updatedAt" = now()
       WHERE id = ${id}::uuid AND "teamId" = ${teamId}::uuid AND status IN ('FAILED', 'CANCELLED')
   RETURNING attempt`;
    // A course's runs-in-flight limit holds for resumed runs too: checked and reopened in one transaction.
    const rows = guard
      ? await this.prisma.$transaction(
          async (tx) => {
            await guard(tx);
            return run(tx);
          },
          { timeout: 30_000, maxWait: 30_000 },
        )
      : await run(this.prisma);
    return rows[0]?.attempt;
  }

  /**
   * Starts (or resumes) a run: bumps the attempt and returns the new token, or undefined when the
   * experiment is already finished (a duplicate delivery of a done job).
   */
  async claim(id: string): Promise<number | undefined> {
    const rows = await this.prisma.$queryRaw<Array<{ attempt: number }>>`
      UPDATE "Experiment"
         SET attempt = attempt + 1, status = 'RUNNING',
             "startedAt" = COALESCE("startedAt", now()), "updatedAt" = now()
       WHERE id = ${id}::uuid AND status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
   RETURNING attempt`;
    return rows[0]?.attempt;
  }

  /** A fenced update: applies only while `attempt` is still the current one. */
  async update(id: string, attempt: number, data: Prisma.ExperimentUpdateManyMutationInput): Promise<void> {
    const { count } = await this.prisma.experiment.updateMany({ where: { id, attempt }, data });
    if (count === 0) throw new SupersededError(id, attempt);
  }

  /**
   * Records progress and loss points, fenced, in ONE statement. Worker writes avoid interactive
   * transactions on purpose: a worker frozen mid-transaction (a GC pause, a suspended VM) would hold
   * the experiment's row lock and block the attempt that takes its job over. A single statement
   * commits on the server whatever the client does next.
   */
  async recordProgress(
    id: string,
    attempt: number,
    progress: { epoch: number; step: number; samplesPerSecond: number },
    losses: LossRecord[],
  ): Promise<{ cancelRequested: boolean }> {
    // ON CONFLICT DO NOTHING: a resumed run re-reports steps between its checkpoint and the crash.
    const rows = await this.prisma.$queryRaw<Array<{ cancelRequested: boolean }>>`
      WITH fenced AS (
        UPDATE "Experiment"
           SET epoch = ${progress.epoch}, step = ${progress.step},
               "samplesPerSecond" = ${progress.samplesPerSecond}, "updatedAt" = now()
         WHERE id = ${id}::uuid AND attempt = ${attempt}
     RETURNING id, "cancelRequested"
      ), points AS (
        INSERT INTO "LossPoint" ("experimentId", step, epoch, loss, lr)
        SELECT fenced.id, p.step, p.epoch, p.loss, p.lr
          FROM fenced, unnest(${losses.map((l) => l.step)}::int[], ${losses.map((l) => l.epoch)}::int[], ${losses.map((l) => l.loss)}::float8[], ${losses.map((l) => l.lr ?? null)}::float8[]) AS p(step, epoch, loss, lr)
        ON CONFLICT DO NOTHING
      )
      SELECT "cancelRequested" FROM fenced`;
    if (rows.length === 0) throw new SupersededError(id, attempt);
    return rows[0];
  }

  /** Whether the run should stop: cancel requested, or (by throwing) superseded by a newer attempt. */
  async checkRun(id: string, attempt: number): Promise<{ cancelRequested: boolean }> {
    const row = await this.prisma.experiment.findUnique({ where: { id }, select: { attempt: true, cancelRequested: true } });
    if (!row || row.attempt !== attempt) throw new SupersededError(id, attempt);
    return { cancelRequested: row.cancelRequested };
  }

  async finish(id: string, attempt: number, status: ExperimentStatus, data: Prisma.ExperimentUpdateManyMutationInput = {}) {
    await this.update(id, attempt, { ...data, status, finishedAt: new Date() });
  }

  isTerminal(status: ExperimentStatus): boolean {
    return TERMINAL.includes(status);
  }

  /**
   * Runs that should have a train job: QUEUED or RUNNING, except course runs still waiting for
   * admission (fair share). With their attempt, for the job's id (trainPayload).
   */
  unfinished() {
    return this.prisma.experiment.findMany({
      where: { status: { in: ['QUEUED', 'RUNNING'] }, OR: [{ admittedAt: { not: null } }, { team: { kind: 'TEAM' } }] },
      select: { id: true, attempt: true },
    });
  }

  /**
   * Stores one epoch's summary, fenced by the attempt in a single statement (a resumed run that
   * re-runs an epoch overwrites its row). Throws SupersededError when the attempt is stale.
   */
  async recordEpochSummary(id: string, attempt: number, summary: { epoch: number; step: number; data: object }): Promise<void> {
    const rows = await this.prisma.$queryRaw<Array<{ epoch: number }>>`
      INSERT INTO "EpochSummary" ("experimentId", epoch, step, data)
      SELECT id, ${summary.epoch}, ${summary.step}, ${JSON.stringify(summary.data)}::jsonb
        FROM "Experiment" WHERE id = ${id}::uuid AND attempt = ${attempt}
      ON CONFLICT ("experimentId", epoch) DO UPDATE SET step = EXCLUDED.step, data = EXCLUDED.data, "createdAt" = now()
      RETURNING epoch`;
    if (rows.length === 0) throw new SupersededError(id, attempt);
  }

  /** The epoch summaries of several experiments, in one statement, each experiment's oldest first. */
  epochSummariesFor(experimentIds: string[]) {
    return this.prisma.epochSummary.findMany({ where: { experimentId: { in: experimentIds } }, orderBy: [{ experimentId: 'asc' }, { epoch: 'asc' }] });
  }

  /** The first `limit` loss points after `afterStep` of each of several experiments, in one statement. */
  lossesForMany(experimentIds: string[], afterStep: number, limit: number) {
    return this.prisma.$queryRaw<Array<{ experimentId: string; step: number; epoch: number; loss: number; lr: number | null; createdAt: Date }>>`
      SELECT "experimentId"::text AS "experimentId", step, epoch, loss, lr, "createdAt" FROM (
        SELECT *, row_number() OVER (PARTITION BY "experimentId" ORDER BY step) AS n
          FROM "LossPoint"
         WHERE "experimentId" = ANY(${experimentIds}::uuid[]) AND step > ${afterStep}
      ) p
       WHERE n <= ${limit}
       ORDER BY "experimentId", step`;
  }

  losses(experimentId: string, afterStep = 0, limit = 10_000) {
    return this.prisma.lossPoint.findMany({
      where: { experimentId, step: { gt: afterStep } },
      orderBy: { step: 'asc' },
      take: limit,
    });
  }
}
