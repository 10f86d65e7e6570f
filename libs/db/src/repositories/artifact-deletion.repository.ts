import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { checkpointsToRelease, retentionMetric } from '@trainyard/common';
import { PrismaService } from '../prisma/prisma.service';

/**
 * Deleting things whose bytes live in the artifact store. Each delete is ONE statement that removes
 * the row (and what cascades from it) and records an ArtifactDeletion for its storage prefix, so the
 * bytes are freed later by the deleteArtifacts job and never before the rows that point at them are
 * gone. Each statement also re-checks its guard (nothing deployed, the run finished), so a deploy
 * racing a delete cannot lose its bytes. An empty result means the guard (or the team) said no.
 */
@Injectable()
export class ArtifactDeletionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** A finished experiment with no deployed checkpoint, and its losses, checkpoints and evaluations. */
  async deleteExperiment(teamId: string, id: string, prefix: string): Promise<string | undefined> {
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`
      WITH gone AS (
        DELETE FROM "Experiment" e
         WHERE e.id = ${id}::uuid AND e."teamId" = ${teamId}::uuid
           AND e.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
           AND NOT EXISTS (SELECT 1 FROM "Deployment" d JOIN "Checkpoint" c ON c.id = d."checkpointId" WHERE c."experimentId" = e.id)
     RETURNING e.id
      )
      INSERT INTO "ArtifactDeletion" (id, "teamId", prefix, reason)
      SELECT ${randomUUID()}::uuid, ${teamId}::uuid, ${prefix}, 'experiment ' || gone.id FROM gone
      RETURNING id`;
    return rows[0]?.id;
  }

  /**
   * A checkpoint that is not deployed (of a run that is not going on, checked by the caller), and
   * its exports and batch predictions (their rows cascade; their files, e.g. exports/onnx/<id>.onnx,
   * lie outside the checkpoint's key, so each gets its own deletion). Returns the deletions; empty when refused.
   */
  async deleteCheckpoint(teamId: string, id: string, reason = 'checkpoint'): Promise<string[]> {
    // Every part of the statement reads the snapshot from before it: the exports are still there to join.
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`
      WITH gone AS (
        DELETE FROM "Checkpoint" c
         USING "Experiment" e
         WHERE c.id = ${id}::uuid AND e.id = c."experimentId" AND e."teamId" = ${teamId}::uuid
           AND NOT EXISTS (SELECT 1 FROM "Deployment" d WHERE d."checkpointId" = c.id)
     RETURNING c.id, c."storageKey"
      ), files AS (
        SELECT gone."storageKey" AS prefix, ${reason} || ' ' || gone.id AS why, 0 AS n FROM gone
        UNION ALL
        SELECT x."storageKey", ${reason} || ' ' || gone.id || ' export ' || lower(x.format::text), 1
          FROM gone JOIN "CheckpointExport" x ON x."checkpointId" = gone.id
         WHERE x."storageKey" IS NOT NULL
        UNION ALL
        SELECT b."storageKey", ${reason} || ' ' || gone.id || ' batch prediction ' || b.id, 2
          FROM gone JOIN "BatchPrediction" b ON b."checkpointId" = gone.id
         WHERE b."storageKey" IS NOT NULL
      )
      INSERT INTO "ArtifactDeletion" (id, "teamId", prefix, reason)
      SELECT gen_random_uuid(), ${teamId}::uuid, files.prefix, files.why FROM files ORDER BY files.n
      RETURNING id`;
    return rows.map((r) => r.id);
  }

  /**
   * A dataset no experiment uses, with its files, its evaluations and the batch predictions made on
   * it (their rows go with its versions; their files live under the predicting run's prefix, so each
   * gets a deletion of its own). Returns the deletions, the dataset's first; none when it is in use.
   */
  async deleteDataset(teamId: string, id: string, prefix: string): Promise<string[]> {
    // Every part of the statement reads the snapshot from before it: the predictions are still there to join.
    const rows = await this.prisma.$queryRaw<Array<{ id: string }>>`
      WITH gone AS (
        DELETE FROM "Dataset" ds
         WHERE ds.id = ${id}::uuid AND ds."teamId" = ${teamId}::uuid
           AND NOT EXISTS (SELECT 1 FROM "Experiment" e WHERE e."datasetId" = ds.id)
     RETURNING ds.id
      ), files AS (
        SELECT ${prefix} AS prefix, 'dataset ' || gone.id AS why, 0 AS n FROM gone
        UNION ALL
        SELECT b."storageKey", 'dataset ' || gone.id || ' batch prediction ' || b.id, 1
          FROM gone JOIN "BatchPrediction" b ON b."datasetId" = gone.id
         WHERE b."storageKey" IS NOT NULL
      )
      INSERT INTO "ArtifactDeletion" (id, "teamId", prefix, reason)
      SELECT gen_random_uuid(), ${teamId}::uuid, files.prefix, files.why FROM files ORDER BY files.n
      RETURNING id`;
    return rows.map((r) => r.id);
  }

  /**
   * Applies the team's retention policy (if any) to its SUCCEEDED experiments (or the given ones):
   * deletes the checkpoints it releases; returns the deletions to hand to the deleteArtifacts job.
   * FAILED and CANCELLED runs keep every checkpoint: resumeExperiment needs the last one.
   */
  async applyRetention(teamId: string, experimentIds?: string[]): Promise<string[]> {
    const team = await this.prisma.team.findUnique({ where: { id: teamId }, select: { retentionKeepNewest: true } });
    const keep = team?.retentionKeepNewest;
    if (keep === null || keep === undefined) return [];
    const experiments = await this.prisma.experiment.findMany({
      where: { teamId, status: 'SUCCEEDED', ...(experimentIds ? { id: { in: experimentIds } } : {}) },
      select: { id: true, spec: true, checkpoints: { select: { id: true, step: true, _count: { select: { deployments: true } } } } },
    });
    const deletions: string[] = [];
    for (const e of experiments) {
      if (e.checkpoints.length <= keep) continue;
      const losses = await this.prisma.lossPoint.findMany({ where: { experimentId: e.id }, select: { step: true, loss: true } });
      // "Best" by the run's validation metric (keep-best's monitor, else val_loss) from its epoch summaries;
      // a run without validation falls back to the lowest training loss.
      const summaries = await this.prisma.epochSummary.findMany({ where: { experimentId: e.id }, select: { step: true, data: true } });
      const metric = retentionMetric(e.spec as Parameters<typeof retentionMetric>[0], summaries);
      const candidates = e.checkpoints.map((c) => ({ id: c.id, step: c.step, deployed: c._count.deployments > 0 }));
      for (const id of checkpointsToRelease(candidates, losses, keep, metric)) {
        deletions.push(...(await this.deleteCheckpoint(teamId, id, 'retention: checkpoint')));
      }
    }
    return deletions;
  }

  setRetention(teamId: string, keepNewest: number | null) {
    return this.prisma.team.update({ where: { id: teamId }, data: { retentionKeepNewest: keepNewest }, select: { retentionKeepNewest: true } });
  }

  async retention(teamId: string): Promise<number | null> {
    return (await this.prisma.team.findUniqueOrThrow({ where: { id: teamId }, select: { retentionKeepNewest: true } })).retentionKeepNewest;
  }

  get(id: string) {
    return this.prisma.artifactDeletion.findUnique({ where: { id } });
  }

  /** The bytes are gone: forget the deletion (idempotent). */
  async done(id: string): Promise<void> {
    await this.prisma.artifactDeletion.deleteMany({ where: { id } });
  }

  /** Deletions not finished yet (to re-enqueue at start with the in-process queue). */
  pending() {
    return this.prisma.artifactDeletion.findMany({ select: { id: true }, orderBy: { createdAt: 'asc' } });
  }
}
