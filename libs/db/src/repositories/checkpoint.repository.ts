import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { assertId, notFound } from '@trainyard/common';
import { PrismaService } from '../prisma/prisma.service';
import { SupersededError } from './experiment.repository';

export interface NewCheckpoint {
  experimentId: string;
  step: number;
  epoch: number;
  storageKey: string;
  sizeBytes: number;
}

/** Checkpoint rows. A row is written only after its bytes are in the store. */
@Injectable()
export class CheckpointRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Records a stored checkpoint, fenced by the attempt, in one statement (see
   * ExperimentRepository.recordProgress for why no interactive transaction). A resumed run that saves
   * the same step again replaces the row (one row per step); returns the storage key it replaced.
   */
  async record(attempt: number, c: NewCheckpoint): Promise<string | undefined> {
    const [row] = await this.prisma.$queryRaw<Array<{ fenced: number; replaced: string | null }>>`
      WITH fenced AS (
        -- An UPDATE, not a SELECT: it waits for a concurrent claim and re-checks the attempt after it.
        UPDATE "Experiment" SET "updatedAt" = now() WHERE id = ${c.experimentId}::uuid AND attempt = ${attempt} RETURNING id
      ), old AS (
        SELECT "storageKey" FROM "Checkpoint" WHERE "experimentId" = ${c.experimentId}::uuid AND step = ${c.step}
      ), saved AS (
        INSERT INTO "Checkpoint" (id, "experimentId", step, epoch, "storageKey", "sizeBytes")
        SELECT ${randomUUID()}::uuid, fenced.id, ${c.step}, ${c.epoch}, ${c.storageKey}, ${c.sizeBytes} FROM fenced
        ON CONFLICT ("experimentId", step)
        DO UPDATE SET epoch = EXCLUDED.epoch, "storageKey" = EXCLUDED."storageKey", "sizeBytes" = EXCLUDED."sizeBytes"
        RETURNING id
      )
      SELECT (SELECT count(*) FROM saved)::int AS fenced, (SELECT "storageKey" FROM old) AS replaced`;
    if (row.fenced === 0) throw new SupersededError(c.experimentId, attempt);
    return row.replaced && row.replaced !== c.storageKey ? row.replaced : undefined;
  }

  latest(experimentId: string) {
    return this.prisma.checkpoint.findFirst({ where: { experimentId }, orderBy: { step: 'desc' } });
  }

  /** For the worker (a fine-tune's base checkpoint); undefined when it was deleted. */
  async getById(id: string) {
    return (await this.prisma.checkpoint.findUnique({ where: { id } })) ?? undefined;
  }

  forExperiment(experimentId: string) {
    return this.prisma.checkpoint.findMany({ where: { experimentId }, orderBy: { step: 'asc' } });
  }

  /** Checkpoints of several experiments in one query (GraphQL's batched loading), by experiment then step. */
  forExperiments(experimentIds: string[]) {
    return this.prisma.checkpoint.findMany({ where: { experimentId: { in: experimentIds } }, orderBy: [{ experimentId: 'asc' }, { step: 'asc' }] });
  }

  /** Checkpoints beyond the newest `keep`, except deployed ones (a deployment pins its checkpoint). */
  async expired(experimentId: string, keep: number) {
    const all = await this.prisma.checkpoint.findMany({
      where: { experimentId },
      orderBy: { step: 'desc' },
      include: { _count: { select: { deployments: true } } },
    });
    return all.slice(keep).filter((c) => c._count.deployments === 0);
  }

  /** Deletes the row first, so no row ever points at bytes that are gone; the caller then deletes bytes. */
  async delete(id: string) {
    await this.prisma.checkpoint.deleteMany({ where: { id, deployments: { none: {} } } });
  }

  async getForTeam(teamId: string, id: string) {
    assertId('checkpoint', id);
    const c = await this.prisma.checkpoint.findFirst({ where: { id, experiment: { teamId } }, include: { experiment: true } });
    if (!c) throw notFound('checkpoint', id);
    return c;
  }

  /**
   * The class names recorded at ingest in the index of the dataset version each checkpoint's run
   * trained on (by checkpoint id; absent when the run predates dataset versions or the index has none).
   * One query, reading only that field of the index.
   */
  async classNames(checkpointIds: string[]): Promise<Map<string, string[]>> {
    if (checkpointIds.length === 0) return new Map();
    const rows = await this.prisma.$queryRaw<Array<{ id: string; names: unknown }>>`
      SELECT c.id::text AS id, dv.index -> 'classNames' AS names
        FROM "Checkpoint" c
        JOIN "Experiment" e ON e.id = c."experimentId"
        JOIN "DatasetVersion" dv ON dv.id = e."datasetVersionId"
       WHERE c.id = ANY(${checkpointIds}::uuid[])`;
    const out = new Map<string, string[]>();
    for (const r of rows) if (Array.isArray(r.names) && r.names.length > 0) out.set(r.id, r.names.map(String));
    return out;
  }
}
