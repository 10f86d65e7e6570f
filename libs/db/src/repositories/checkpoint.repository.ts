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
   * Records a stored checkpoint, fenced by the attempt. A resumed run that saves the same step
   * again replaces the row (one row per step); returns the storage key it replaced, if any.
   */
  async record(attempt: number, c: NewCheckpoint): Promise<string | undefined> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.experiment.updateMany({ where: { id: c.experimentId, attempt }, data: {} });
      if (count === 0) throw new SupersededError(c.experimentId, attempt);
      const old = await tx.checkpoint.findUnique({ where: { experimentId_step: { experimentId: c.experimentId, step: c.step } } });
      await tx.checkpoint.upsert({
        where: { experimentId_step: { experimentId: c.experimentId, step: c.step } },
        create: c,
        update: { epoch: c.epoch, storageKey: c.storageKey, sizeBytes: c.sizeBytes },
      });
      return old && old.storageKey !== c.storageKey ? old.storageKey : undefined;
    });
  }

  latest(experimentId: string) {
    return this.prisma.checkpoint.findFirst({ where: { experimentId }, orderBy: { step: 'desc' } });
  }

  forExperiment(experimentId: string) {
    return this.prisma.checkpoint.findMany({ where: { experimentId }, orderBy: { step: 'asc' } });
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
}
