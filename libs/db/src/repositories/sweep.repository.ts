import { Injectable } from '@nestjs/common';
import { assertId, notFound } from '@trainyard/common';
import type { Prisma, SweepStrategy } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';
import { NEWEST_FIRST_ORDER, NewestFirstKey, namePrefix, olderThan } from './paging';

export interface NewSweep {
  teamId: string;
  name: string;
  strategy: SweepStrategy;
  space: Prisma.InputJsonValue;
  budget: number;
  metric: string;
  maximize: boolean;
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

  /** The sweep and all its trials in one transaction: all or nothing. Returns the sweep with them. */
  async create(sweep: NewSweep, children: NewTrial[]) {
    return this.prisma.$transaction(async (tx) => {
      const created = await tx.sweep.create({ data: sweep });
      await tx.experiment.createMany({ data: children.map((c, i) => ({ ...c, teamId: sweep.teamId, sweepId: created.id, sweepTrial: i })) });
      return tx.sweep.findUniqueOrThrow({ where: { id: created.id }, include: trials });
    });
  }

  async get(teamId: string, id: string) {
    assertId('sweep', id);
    const sweep = await this.prisma.sweep.findFirst({ where: { id, teamId }, include: trials });
    if (!sweep) throw notFound('sweep', id);
    return sweep;
  }

  /** A page of the team's sweeps, newest first. */
  page(teamId: string, filter: { namePrefix?: string }, after: NewestFirstKey | undefined, take: number) {
    return this.prisma.sweep.findMany({ where: { AND: [{ teamId, ...namePrefix(filter.namePrefix) }, olderThan(after)] }, orderBy: NEWEST_FIRST_ORDER, take, include: trials });
  }

  count(teamId: string, filter: { namePrefix?: string }) {
    return this.prisma.sweep.count({ where: { teamId, ...namePrefix(filter.namePrefix) } });
  }

  list(teamId: string) {
    return this.prisma.sweep.findMany({ where: { teamId }, orderBy: { createdAt: 'desc' }, include: trials });
  }
}
