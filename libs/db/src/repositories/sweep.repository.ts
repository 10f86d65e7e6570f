import { Injectable } from '@nestjs/common';
import { assertId, notFound } from '@trainyard/common';
import type { Prisma, SweepStrategy } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';
import type { CreateGuard } from './experiment.repository';

export interface NewSweep {
  teamId: string;
  name: string;
  strategy: SweepStrategy;
  space: Prisma.InputJsonValue;
  budget: number;
  metric: string;
  maximize: boolean;
  /** Who creates it: the owner of its trials too. */
  userId?: string | null;
}

export interface NewTrial {
  datasetId: string;
  datasetVersionId: string | null;
  name: string;
  spec: Prisma.InputJsonValue;
  totalSteps: number;
  sweepParams: Prisma.InputJsonValue;
}

const trials = { experiments: { orderBy: { sweepTrial: 'asc' as const } } };

/** Sweeps and their trials (child experiments). */
@Injectable()
export class SweepRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * The sweep and all its trials in one transaction: all or nothing. Returns the sweep with them.
   * The trials belong to the sweep's user; `guard` runs first in the same transaction (a course's
   * runs-in-flight limit).
   */
  async create(sweep: NewSweep, children: NewTrial[], guard?: CreateGuard) {
    return this.prisma.$transaction(
      async (tx) => {
        if (guard) await guard(tx);
        const created = await tx.sweep.create({ data: sweep });
        await tx.experiment.createMany({ data: children.map((c, i) => ({ ...c, teamId: sweep.teamId, userId: sweep.userId ?? null, sweepId: created.id, sweepTrial: i })) });
        return tx.sweep.findUniqueOrThrow({ where: { id: created.id }, include: trials });
      },
      { timeout: 30_000, maxWait: 30_000 },
    );
  }

  /** `owners`: when set (a course's student), only sweeps of these users are found. */
  async get(teamId: string, id: string, owners?: string[]) {
    assertId('sweep', id);
    const sweep = await this.prisma.sweep.findFirst({ where: { id, teamId, ...(owners ? { userId: { in: owners } } : {}) }, include: trials });
    if (!sweep) throw notFound('sweep', id);
    return sweep;
  }

  list(teamId: string, owners?: string[]) {
    return this.prisma.sweep.findMany({ where: { teamId, ...(owners ? { userId: { in: owners } } : {}) }, orderBy: { createdAt: 'desc' }, include: trials });
  }
}
