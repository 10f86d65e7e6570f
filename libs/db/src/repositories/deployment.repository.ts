import { Injectable } from '@nestjs/common';
import { ErrorCode, notFound, TrainyardError } from '@trainyard/common';
import { PrismaService } from '../prisma/prisma.service';
import { NEWEST_FIRST_ORDER, NewestFirstKey, namePrefix, olderThan } from './paging';

const withCheckpoint = {
  checkpoint: {
    include: {
      experiment: { select: { id: true, spec: true, datasetId: true, userId: true } },
      // Serving runs the ONNX export with onnxruntime where one exists, else TensorFlow.js.
      exports: { where: { format: 'ONNX', status: 'SUCCEEDED', storageKey: { not: null } }, select: { storageKey: true } },
    },
  },
} as const;
const withVersions = { versions: { orderBy: { version: 'asc' }, include: withCheckpoint } } as const;

export interface DeployOptions {
  makeDefault?: boolean;
  labels?: string[];
  maxBatchSize?: number;
  maxBatchWaitMs?: number;
  deployedByKeyId?: string;
  deployedBy?: string;
}

export type Labels = Record<string, number>;

const conflict = (message: string) => new TrainyardError(ErrorCode.CONFLICT, message);

/**
 * Served models (a name clients call) and their versions (Deployment rows: a checkpoint deployed
 * under that name as version 1, 2, 3...), with the default version, labels and a traffic split.
 * Names are unique per team; every call is scoped by team.
 */
@Injectable()
export class DeploymentRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Deploys a checkpoint as the next version of `name` (creating the model on first deploy). */
  async deployVersion(teamId: string, name: string, checkpointId: string, opts: DeployOptions = {}) {
    return this.prisma.$transaction(async (tx) => {
      const model = await tx.servedModel.upsert({
        where: { teamId_name: { teamId, name } },
        create: { teamId, name, nextVersion: 2 },
        update: { nextVersion: { increment: 1 } },
      });
      const version = model.nextVersion - 1;
      const deployment = await tx.deployment.create({
        data: {
          teamId,
          name,
          version,
          checkpointId,
          maxBatchSize: opts.maxBatchSize,
          maxBatchWaitMs: opts.maxBatchWaitMs,
          deployedByKeyId: opts.deployedByKeyId,
          deployedBy: opts.deployedBy,
        },
        include: withCheckpoint,
      });
      const labels = { ...(model.labels as Labels) };
      for (const l of opts.labels ?? []) labels[l] = version;
      const makeDefault = opts.makeDefault !== false || model.defaultVersion === null;
      await tx.servedModel.update({
        where: { id: model.id },
        data: {
          labels,
          ...(makeDefault && model.defaultVersion !== version
            ? { defaultVersion: version, previousDefaultVersion: model.defaultVersion }
            : {}),
        },
      });
      return deployment;
    });
  }

  /** The model with every version, its checkpoint and the experiment spec: what serving resolves. */
  findModel(teamId: string, name: string) {
    return this.prisma.servedModel.findUnique({ where: { teamId_name: { teamId, name } }, include: withVersions });
  }

  async getModel(teamId: string, name: string) {
    const m = await this.findModel(teamId, name);
    if (!m) throw notFound('model', name);
    return m;
  }

  /** A page of the team's served models by name (ascending), after the name `after`. */
  pageModels(teamId: string, filter: { namePrefix?: string }, after: string | undefined, take: number) {
    return this.prisma.servedModel.findMany({
      where: { teamId, ...namePrefix(filter.namePrefix), ...(after !== undefined ? { name: { gt: after, ...(filter.namePrefix ? { startsWith: filter.namePrefix } : {}) } } : {}) },
      orderBy: { name: 'asc' },
      take,
      include: withVersions,
    });
  }

  countModels(teamId: string, filter: { namePrefix?: string }) {
    return this.prisma.servedModel.count({ where: { teamId, ...namePrefix(filter.namePrefix) } });
  }

  listModels(teamId: string) {
    return this.prisma.servedModel.findMany({ where: { teamId }, orderBy: { name: 'asc' }, include: withVersions });
  }

  private async versionOf(teamId: string, name: string, version: number) {
    const d = await this.prisma.deployment.findUnique({ where: { teamId_name_version: { teamId, name, version } } });
    if (!d) throw notFound(`model ${name} version`, String(version));
    return d;
  }

  async setDefault(teamId: string, name: string, version: number) {
    const model = await this.getModel(teamId, name);
    await this.versionOf(teamId, name, version);
    if (model.defaultVersion === version) return model;
    await this.prisma.servedModel.updateMany({
      where: { id: model.id, defaultVersion: model.defaultVersion },
      data: { defaultVersion: version, previousDefaultVersion: model.defaultVersion },
    });
    return this.getModel(teamId, name);
  }

  /** Back to the previous default (or, without one, the highest version below the current default). */
  async rollback(teamId: string, name: string) {
    const model = await this.getModel(teamId, name);
    const deployed = new Set(model.versions.map((v) => v.version));
    const current = model.defaultVersion ?? Infinity;
    const target =
      model.previousDefaultVersion !== null && deployed.has(model.previousDefaultVersion)
        ? model.previousDefaultVersion
        : [...deployed].filter((v) => v < current).sort((a, b) => b - a)[0];
    if (target === undefined) throw conflict(`model ${name} has no earlier version to roll back to`);
    return this.setDefault(teamId, name, target);
  }

  /** Points a label at a version, or removes it (version null). */
  async setLabel(teamId: string, name: string, label: string, version: number | null) {
    const model = await this.getModel(teamId, name);
    if (version !== null) await this.versionOf(teamId, name, version);
    const labels = { ...(model.labels as Labels) };
    if (version === null) delete labels[label];
    else labels[label] = version;
    await this.prisma.servedModel.update({ where: { id: model.id }, data: { labels } });
    return this.getModel(teamId, name);
  }

  /** Sends `percent` of default-routed calls to `version` (null or 0 turns the split off). */
  async setSplit(teamId: string, name: string, version: number | null, percent: number) {
    const model = await this.getModel(teamId, name);
    if (version !== null) await this.versionOf(teamId, name, version);
    await this.prisma.servedModel.update({
      where: { id: model.id },
      data: version === null || percent === 0 ? { splitVersion: null, splitPercent: 0 } : { splitVersion: version, splitPercent: percent },
    });
    return this.getModel(teamId, name);
  }

  /**
   * Stops serving one version. The default can go only when it is the last version (then the model
   * goes too); labels and a split pointing at it are removed.
   */
  async undeployVersion(teamId: string, name: string, version: number): Promise<boolean> {
    const model = await this.getModel(teamId, name);
    await this.versionOf(teamId, name, version);
    if (model.versions.length === 1) return this.deleteModel(teamId, name);
    if (model.defaultVersion === version) {
      throw conflict(`version ${version} is the default of model ${name}; set another default (or roll back) first`);
    }
    const labels = Object.fromEntries(Object.entries(model.labels as Labels).filter(([, v]) => v !== version));
    await this.prisma.$transaction([
      this.prisma.deployment.delete({ where: { teamId_name_version: { teamId, name, version } } }),
      this.prisma.servedModel.update({
        where: { id: model.id },
        data: {
          labels,
          ...(model.splitVersion === version ? { splitVersion: null, splitPercent: 0 } : {}),
          ...(model.previousDefaultVersion === version ? { previousDefaultVersion: null } : {}),
        },
      }),
    ]);
    return true;
  }

  /** Stops serving a name, all its versions. */
  async deleteModel(teamId: string, name: string): Promise<boolean> {
    const { count } = await this.prisma.servedModel.deleteMany({ where: { teamId, name } });
    return count === 1;
  }

  /** Default version rows of every model (the pre-versions view: one deployment per name). */
  async list(teamId: string) {
    const models = await this.listModels(teamId);
    return models.flatMap((m) => m.versions.filter((v) => v.version === m.defaultVersion));
  }

  /** The default version of a model, with its checkpoint. */
  async getByName(teamId: string, name: string) {
    const m = await this.getModel(teamId, name);
    const d = m.versions.find((v) => v.version === m.defaultVersion);
    if (!d) throw notFound('model', name);
    return d;
  }
}
