import { Injectable } from '@nestjs/common';
import { assertId, notFound } from '@trainyard/common';
import type { Prisma } from '../generated/prisma/client';
import type { ExperimentStatus } from '../generated/prisma/enums';
import { PrismaService } from '../prisma/prisma.service';

/** Thrown when a write carries an attempt token that is no longer current: another run took over. */
export class SupersededError extends Error {
  constructor(experimentId: string, attempt: number) {
    super(`experiment ${experimentId}: attempt ${attempt} was superseded by a newer run`);
    this.name = 'SupersededError';
  }
}

export interface NewExperiment {
  teamId: string;
  datasetId: string;
  name: string;
  idempotencyKey?: string;
  spec: Prisma.InputJsonValue;
  totalSteps: number;
}

export interface LossRecord {
  step: number;
  epoch: number;
  loss: number;
}

const TERMINAL: ExperimentStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/**
 * Experiments and their loss series. Worker writes are fenced by the attempt token: each run of a
 * job claims a new attempt, and every write matches on it, so a worker that froze and came back
 * after its job moved on cannot write over the newer run.
 */
@Injectable()
export class ExperimentRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Creates the experiment, or returns the one already made with the same idempotency key. */
  async createIdempotent(input: NewExperiment): Promise<{ experiment: Awaited<ReturnType<PrismaService['experiment']['create']>>; created: boolean }> {
    if (input.idempotencyKey) {
      const existing = await this.prisma.experiment.findUnique({
        where: { teamId_idempotencyKey: { teamId: input.teamId, idempotencyKey: input.idempotencyKey } },
      });
      if (existing) return { experiment: existing, created: false };
    }
    try {
      return { experiment: await this.prisma.experiment.create({ data: input }), created: true };
    } catch (e) {
      // Two identical requests raced past the lookup: the unique index let one through.
      if ((e as { code?: string }).code === 'P2002' && input.idempotencyKey) {
        const existing = await this.prisma.experiment.findUniqueOrThrow({
          where: { teamId_idempotencyKey: { teamId: input.teamId, idempotencyKey: input.idempotencyKey } },
        });
        return { experiment: existing, created: false };
      }
      throw e;
    }
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

  getById(id: string) {
    return this.prisma.experiment.findUnique({ where: { id } });
  }

  /** Asks a run to stop. A queued experiment is cancelled at once; a running one by its worker. */
  async requestCancel(teamId: string, id: string) {
    await this.get(teamId, id);
    await this.prisma.experiment.updateMany({ where: { id, status: 'QUEUED' }, data: { status: 'CANCELLED', cancelRequested: true, finishedAt: new Date() } });
    await this.prisma.experiment.updateMany({ where: { id, status: 'RUNNING' }, data: { cancelRequested: true } });
    return this.get(teamId, id);
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

  /** Records progress and the loss points since the last report, atomically and fenced. */
  async recordProgress(
    id: string,
    attempt: number,
    progress: { epoch: number; step: number; samplesPerSecond: number },
    losses: LossRecord[],
  ): Promise<{ cancelRequested: boolean }> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.experiment.updateMany({ where: { id, attempt }, data: progress });
      if (count === 0) throw new SupersededError(id, attempt);
      if (losses.length > 0) {
        // skipDuplicates: a resumed run re-reports steps between its checkpoint and the crash.
        await tx.lossPoint.createMany({ data: losses.map((l) => ({ experimentId: id, ...l })), skipDuplicates: true });
      }
      const row = await tx.experiment.findUniqueOrThrow({ where: { id }, select: { cancelRequested: true } });
      return row;
    });
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

  /** Experiments whose job may have been lost with an in-process queue (for recovery at start). */
  unfinished() {
    return this.prisma.experiment.findMany({ where: { status: { in: ['QUEUED', 'RUNNING'] } }, select: { id: true } });
  }

  losses(experimentId: string, afterStep = 0, limit = 10_000) {
    return this.prisma.lossPoint.findMany({
      where: { experimentId, step: { gt: afterStep } },
      orderBy: { step: 'asc' },
      take: limit,
    });
  }
}
