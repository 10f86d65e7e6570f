import type { DeploymentRepository } from '@trainyard/db';
import { Deployment, ServedModel } from './deployment.types';

type ModelRow = Awaited<ReturnType<DeploymentRepository['getModel']>>;
type VersionRow = ModelRow['versions'][number];

const labelsOf = (m: Pick<ModelRow, 'labels'>) => Object.entries((m.labels ?? {}) as Record<string, number>);

export function toDeployment(d: VersionRow, model: Pick<ModelRow, 'labels' | 'defaultVersion'>): Deployment {
  return {
    id: d.id,
    name: d.name,
    version: d.version,
    checkpointId: d.checkpointId,
    experimentId: d.checkpoint.experiment.id,
    step: d.checkpoint.step,
    isDefault: model.defaultVersion === d.version,
    labels: labelsOf(model).filter(([, v]) => v === d.version).map(([l]) => l).sort(),
    maxBatchSize: d.maxBatchSize,
    maxBatchWaitMs: d.maxBatchWaitMs,
    deployedBy: d.deployedBy,
    predictUrl: `/v1/models/${d.name}:predict`,
    inferUrl: `/v2/models/${d.name}/infer`,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export function toServedModel(m: ModelRow): ServedModel {
  return {
    id: m.id,
    name: m.name,
    defaultVersion: m.defaultVersion,
    labels: labelsOf(m).map(([label, version]) => ({ label, version })).sort((a, b) => a.label.localeCompare(b.label)),
    trafficSplit: m.splitVersion !== null && m.splitPercent > 0 ? { version: m.splitVersion, percent: m.splitPercent } : null,
    versions: m.versions.map((v) => toDeployment(v, m)),
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}
