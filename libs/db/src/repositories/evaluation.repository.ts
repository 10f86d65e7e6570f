import { Injectable } from '@nestjs/common';
import { assertId, notFound } from '@trainyard/common';
import type { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';
import { SupersededError } from './experiment.repository';
import { NEWEST_FIRST_ORDER, NewestFirstKey, namePrefix, olderThan } from './paging';

/**
 * Evaluations: one checkpoint scored on one dataset's test split. Like experiments, a worker claims
 * an attempt and its final write is fenced by it, in one statement.
 */
export interface EvaluationFilterRow {
  checkpointId?: string;
  datasetId?: string;
  experimentId?: string;
  status?: string;
}

@Injectable()
export class EvaluationRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(teamId: string, checkpointId: string, datasetId: string, datasetVersionId: string | null) {
    return this.prisma.evaluation.create({ data: { teamId, checkpointId, datasetId, datasetVersionId } });
  }

  async get(teamId: string, id: string) {
    assertId('evaluation', id);
    const e = await this.prisma.evaluation.findFirst({ where: { id, teamId } });
    if (!e) throw notFound('evaluation', id);
    return e;
  }

  /** A page of the team's evaluations, newest first. */
  page(teamId: string, filter: EvaluationFilterRow, after: NewestFirstKey | undefined, take: number) {
    return this.prisma.evaluation.findMany({ where: { AND: [this.filterWhere(teamId, filter), olderThan(after)] }, orderBy: NEWEST_FIRST_ORDER, take });
  }

  count(teamId: string, filter: EvaluationFilterRow) {
    return this.prisma.evaluation.count({ where: this.filterWhere(teamId, filter) });
  }

  private filterWhere(teamId: string, f: EvaluationFilterRow) {
    return {
      teamId,
      ...(f.checkpointId ? { checkpointId: f.checkpointId } : {}),
      ...(f.datasetId ? { datasetId: f.datasetId } : {}),
      ...(f.experimentId ? { checkpoint: { experimentId: f.experimentId } } : {}),
      ...(f.status ? { status: f.status as never } : {}),
    };
  }

  list(teamId: string, filter: { checkpointId?: string; datasetId?: string } = {}) {
    return this.prisma.evaluation.findMany({ where: { teamId, ...filter }, orderBy: { createdAt: 'desc' } });
  }

  /** Succeeded evaluations of an experiment's checkpoints on one dataset, with the checkpoint's step. */
  succeededForExperiment(experimentId: string, datasetId: string) {
    return this.prisma.evaluation.findMany({
      where: { checkpoint: { experimentId }, datasetId, status: 'SUCCEEDED' },
      include: { checkpoint: { select: { step: true } } },
      orderBy: { createdAt: 'asc' },
    });
  }

  /** For the worker: the evaluation with the checkpoint (and its experiment's spec) it scores. */
  getById(id: string) {
    return this.prisma.evaluation.findUnique({
      where: { id },
      include: { checkpoint: { include: { experiment: { select: { id: true, teamId: true, spec: true } } } } },
    });
  }

  /** Starts a run of the job: bumps the attempt, or undefined when it already finished. */
  async claim(id: string): Promise<number | undefined> {
    const rows = await this.prisma.$queryRaw<Array<{ attempt: number }>>`
      UPDATE "Evaluation"
         SET attempt = attempt + 1, status = 'RUNNING', "startedAt" = COALESCE("startedAt", now())
       WHERE id = ${id}::uuid AND status IN ('QUEUED', 'RUNNING')
   RETURNING attempt`;
    return rows[0]?.attempt;
  }

  /** The result, written only while `attempt` is still current. */
  async finish(id: string, attempt: number, result: { status: 'SUCCEEDED'; metrics: Prisma.InputJsonValue } | { status: 'FAILED'; failureReason: string }) {
    const { count } = await this.prisma.evaluation.updateMany({
      where: { id, attempt },
      data: { ...result, finishedAt: new Date() },
    });
    if (count === 0) throw new SupersededError(id, attempt);
  }

  /** Evaluations the in-process queue may have lost at a restart. */
  unfinished() {
    return this.prisma.evaluation.findMany({ where: { status: { in: ['QUEUED', 'RUNNING'] } }, select: { id: true } });
  }
}
