import { Injectable } from '@nestjs/common';
import { assertId, notFound } from '@trainyard/common';
import type { DatasetFileRole, DatasetFormat, DatasetStatus as DatasetStatusName } from '../generated/prisma/enums';
import { PrismaService } from '../prisma/prisma.service';
import { NEWEST_FIRST_ORDER, NewestFirstKey, namePrefix, olderThan } from './paging';

export interface NewDatasetFile {
  role: DatasetFileRole;
  storageKey: string;
  sizeBytes: number;
  gzipped: boolean;
  sha256: string;
  count: number;
  dims: number[];
  classHistogram: number[];
}

export interface DatasetSummary {
  imageShape: number[];
  numClasses: number;
  trainCount: number;
  testCount: number;
  classHistogram: number[];
}

/** Datasets and their files. Every read is scoped by team: another team's id is simply not found. */
@Injectable()
export class DatasetRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(teamId: string, name: string, format: DatasetFormat) {
    return this.prisma.dataset.create({ data: { teamId, name, format } });
  }

  /** A page of the team's datasets, newest first. */
  page(teamId: string, filter: { namePrefix?: string; status?: string }, after: NewestFirstKey | undefined, take: number) {
    return this.prisma.dataset.findMany({
      where: { AND: [this.filterWhere(teamId, filter), olderThan(after)] },
      orderBy: NEWEST_FIRST_ORDER,
      take,
      include: { files: true },
    });
  }

  count(teamId: string, filter: { namePrefix?: string; status?: string }) {
    return this.prisma.dataset.count({ where: this.filterWhere(teamId, filter) });
  }

  private filterWhere(teamId: string, f: { namePrefix?: string; status?: string }) {
    return { teamId, ...namePrefix(f.namePrefix), ...(f.status ? { status: f.status as DatasetStatusName } : {}) };
  }

  list(teamId: string) {
    return this.prisma.dataset.findMany({ where: { teamId }, orderBy: { createdAt: 'desc' }, include: { files: true } });
  }

  async get(teamId: string, id: string) {
    assertId('dataset', id);
    const dataset = await this.prisma.dataset.findFirst({ where: { id, teamId }, include: { files: true } });
    if (!dataset) throw notFound('dataset', id);
    return dataset;
  }

  /**
   * Points the dataset at a newly stored file (the bytes are already in the store), marks the
   * dataset PENDING until its summary is recomputed, and returns the storage key it replaced so the
   * caller can delete those bytes after this commit.
   */
  async replaceFile(datasetId: string, file: NewDatasetFile): Promise<string | undefined> {
    return this.prisma.$transaction(async (tx) => {
      const old = await tx.datasetFile.findUnique({ where: { datasetId_role: { datasetId, role: file.role } } });
      const data = { ...file, sizeBytes: BigInt(file.sizeBytes) };
      await tx.datasetFile.upsert({
        where: { datasetId_role: { datasetId, role: file.role } },
        create: { datasetId, ...data },
        update: data,
      });
      await tx.dataset.update({ where: { id: datasetId }, data: { status: 'PENDING' } });
      return old?.storageKey;
    });
  }

  markReady(datasetId: string, summary: DatasetSummary) {
    return this.prisma.dataset.update({ where: { id: datasetId }, data: { status: 'READY', ...summary } });
  }

  /** For the worker, which acts for the experiment's team. */
  getById(id: string) {
    return this.prisma.dataset.findUniqueOrThrow({ where: { id }, include: { files: true } });
  }
}
