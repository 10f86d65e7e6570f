import { Injectable } from '@nestjs/common';
import { assertId, notFound } from '@trainyard/common';
import type { DatasetStatus as DatasetStatusName } from '../generated/prisma/enums';
import { PrismaService } from '../prisma/prisma.service';
import { NEWEST_FIRST_ORDER, NewestFirstKey, namePrefix, olderThan } from './paging';

export interface DatasetSummary {
  imageShape: number[];
  numClasses: number;
  trainCount: number;
  testCount: number;
  classHistogram: number[];
}

/** Datasets (their data lives in versions: DatasetVersionRepository). Every read is scoped by team: another team's id is simply not found. */
@Injectable()
export class DatasetRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(teamId: string, name: string) {
    return this.prisma.dataset.create({ data: { teamId, name } });
  }

  /** A page of the team's datasets, newest first. */
  page(teamId: string, filter: { namePrefix?: string; status?: string }, after: NewestFirstKey | undefined, take: number) {
    return this.prisma.dataset.findMany({
      where: { AND: [this.filterWhere(teamId, filter), olderThan(after)] },
      orderBy: NEWEST_FIRST_ORDER,
      take,
    });
  }

  count(teamId: string, filter: { namePrefix?: string; status?: string }) {
    return this.prisma.dataset.count({ where: this.filterWhere(teamId, filter) });
  }

  private filterWhere(teamId: string, f: { namePrefix?: string; status?: string }) {
    return { teamId, ...namePrefix(f.namePrefix), ...(f.status ? { status: f.status as DatasetStatusName } : {}) };
  }

  list(teamId: string) {
    return this.prisma.dataset.findMany({ where: { teamId }, orderBy: { createdAt: 'desc' } });
  }

  async get(teamId: string, id: string) {
    assertId('dataset', id);
    const dataset = await this.prisma.dataset.findFirst({ where: { id, teamId } });
    if (!dataset) throw notFound('dataset', id);
    return dataset;
  }

  markReady(datasetId: string, summary: DatasetSummary) {
    return this.prisma.dataset.update({ where: { id: datasetId }, data: { status: 'READY', ...summary } });
  }

  /** For the worker, which acts for the experiment's team. */
  getById(id: string) {
    return this.prisma.dataset.findUniqueOrThrow({ where: { id } });
  }
}
