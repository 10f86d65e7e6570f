import { Injectable } from '@nestjs/common';
import { actorOf, type TeamPrincipal } from '@trainyard/auth';
import { badInput } from '@trainyard/common';
import { AuditRepository, CheckpointRepository, DeploymentRepository } from '@trainyard/db';
import { DeployOptionsInput } from './deployment.types';

export const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const LABEL = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * The rules of deployments: names and labels, batching ranges, the checkpoint belonging to the
 * team, who deployed. Serve processes pick every change up within SERVE_CACHE_TTL_MS.
 */
@Injectable()
export class DeploymentService {
  constructor(
    private readonly repo: DeploymentRepository,
    private readonly checkpoints: CheckpointRepository,
    private readonly audit: AuditRepository,
  ) {}

  checkName(name: string) {
    if (!MODEL_NAME.test(name)) throw badInput(`model name "${name.slice(0, 64)}" must match ${MODEL_NAME}`, { field: 'name' });
  }

  checkLabel(label: string) {
    if (!LABEL.test(label)) throw badInput(`label "${label.slice(0, 64)}" must match ${LABEL}`, { field: 'label' });
  }

  async deploy(team: TeamPrincipal, name: string, checkpointId: string, opts: DeployOptionsInput = {}) {
    this.checkName(name);
    for (const l of opts.labels ?? []) this.checkLabel(l);
    if (opts.maxBatchSize !== undefined && opts.maxBatchSize !== null && !(Number.isInteger(opts.maxBatchSize) && opts.maxBatchSize >= 1 && opts.maxBatchSize <= 1024)) {
      throw badInput(`maxBatchSize must be 1-1024, got ${opts.maxBatchSize}`, { field: 'maxBatchSize' });
    }
    if (opts.maxBatchWaitMs !== undefined && opts.maxBatchWaitMs !== null && !(Number.isInteger(opts.maxBatchWaitMs) && opts.maxBatchWaitMs >= 0 && opts.maxBatchWaitMs <= 1000)) {
      throw badInput(`maxBatchWaitMs must be 0-1000, got ${opts.maxBatchWaitMs}`, { field: 'maxBatchWaitMs' });
    }
    await this.checkpoints.getForTeam(team.id, checkpointId);
    const d = await this.repo.deployVersion(team.id, name, checkpointId, {
      makeDefault: opts.makeDefault ?? true,
      labels: opts.labels ?? [],
      maxBatchSize: opts.maxBatchSize ?? undefined,
      maxBatchWaitMs: opts.maxBatchWaitMs ?? undefined,
      deployedByKeyId: team.key?.id,
      deployedBy: team.key?.name,
    });
    await this.audit.record({ teamId: team.id, actor: actorOf(team), action: 'deployment.deploy', target: name, details: { checkpointId, version: d.version } });
    return { deployment: d, model: await this.repo.getModel(team.id, name) };
  }

  setDefault(team: TeamPrincipal, name: string, version: number) {
    return this.repo.setDefault(team.id, name, version);
  }

  rollback(team: TeamPrincipal, name: string) {
    return this.repo.rollback(team.id, name);
  }

  setLabel(team: TeamPrincipal, name: string, label: string, version: number | null) {
    this.checkLabel(label);
    return this.repo.setLabel(team.id, name, label, version);
  }

  setTrafficSplit(team: TeamPrincipal, name: string, version: number | null, percent: number) {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw badInput(`percent must be 0-100, got ${percent}`, { field: 'percent' });
    return this.repo.setSplit(team.id, name, version, percent);
  }

  async undeployVersion(team: TeamPrincipal, name: string, version: number) {
    const deleted = await this.repo.undeployVersion(team.id, name, version);
    if (deleted) await this.audit.record({ teamId: team.id, actor: actorOf(team), action: 'deployment.delete', target: name, details: { version } });
    return deleted;
  }

  async undeploy(team: TeamPrincipal, name: string) {
    const deleted = await this.repo.deleteModel(team.id, name);
    if (deleted) await this.audit.record({ teamId: team.id, actor: actorOf(team), action: 'deployment.delete', target: name });
    return deleted;
  }

  models(team: TeamPrincipal) {
    return this.repo.listModels(team.id);
  }

  model(team: TeamPrincipal, name: string) {
    return this.repo.getModel(team.id, name);
  }
}
