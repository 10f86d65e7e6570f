import { Injectable } from '@nestjs/common';
import { assertId, notFound } from '@trainyard/common';
import type { Prisma, SweepStrategy } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';
import type { CreateGuard } from './experiment.repository';
import { NEWEST_FIRST_ORDER, NewestFirstKey, namePrefix, olderThan } from './paging';

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

  /** A page of the team's sweeps (`owners`: only theirs, for course students), newest first. */
  page(teamId: string, filter: { namePrefix?: string; owners?: string[] }, after: NewestFirstKey | undefined, take: number) {
    return this.prisma.sweep.findMany({ where: { AND: [this.filterWhere(teamId, filter), olderThan(after)] }, orderBy: NEWEST_FIRST_ORDER, take, include: trials });
  }

  count(teamId: string, filter: { namePrefix?: string; owners?: string[] }) {
    return this.prisma.sweep.count({ where: this.filterWhere(teamId, filter) });
  }

  private filterWhere(teamId: string, f: { namePrefix?: string; owners?: string[] }) {
    return { teamId, ...namePrefix(f.namePrefix), ...(f.owners ? { userId: { in: f.owners } } : {}) };
  }

  list(teamId: string, owners?: string[]) {
    return this.prisma.sweep.findMany({ where: { teamId, ...(owners ? { userId: { in: owners } } : {}) }, orderBy: { createdAt: 'desc' }, include: trials });
  }
}
