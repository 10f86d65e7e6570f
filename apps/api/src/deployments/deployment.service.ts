import { Injectable } from '@nestjs/common';
import { actorOf, type Principal, VisibilityService } from '@trainyard/auth';
import { badInput, ErrorCode, notFound, TrainyardError } from '@trainyard/common';
import { AuditRepository, CheckpointRepository, DeploymentRepository } from '@trainyard/db';
import { DeployOptionsInput } from './deployment.types';
import { Connection, keysetPage, PageArgs, Key } from '../graphql/connection';

type ModelRow = Awaited<ReturnType<DeploymentRepository['listModels']>>[number];

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
    private readonly visibility: VisibilityService,
  ) {}

  /** Whether every version of a model serves work the caller may see (in a course, a student's own or group's). */
  private async owns(p: Principal, versions: { checkpoint: { experiment: { userId: string | null } } }[]): Promise<boolean> {
    const owners = await this.visibility.ownerIds(p);
    return !owners || versions.every((v) => !!v.checkpoint.experiment.userId && owners.includes(v.checkpoint.experiment.userId));
  }

  /** In a course, a student acts only on their own (or their group's) models; a classmate's is NOT_FOUND. */
  async assertOwnsModel(p: Principal, name: string): Promise<void> {
    if (!this.visibility.restricted(p)) return;
    const m = await this.repo.getModel(p.team.id, name);
    if (!(await this.owns(p, m.versions))) throw notFound('model', name);
  }

  checkName(name: string) {
    if (!MODEL_NAME.test(name)) throw badInput(`model name "${name.slice(0, 64)}" must match ${MODEL_NAME}`, { field: 'name' });
  }

  checkLabel(label: string) {
    if (!LABEL.test(label)) throw badInput(`label "${label.slice(0, 64)}" must match ${LABEL}`, { field: 'label' });
  }

  async deploy(p: Principal, name: string, checkpointId: string, opts: DeployOptionsInput = {}) {
    const team = p.team;
    this.checkName(name);
    for (const l of opts.labels ?? []) this.checkLabel(l);
    if (opts.maxBatchSize !== undefined && opts.maxBatchSize !== null && !(Number.isInteger(opts.maxBatchSize) && opts.maxBatchSize >= 1 && opts.maxBatchSize <= 1024)) {
      throw badInput(`maxBatchSize must be 1-1024, got ${opts.maxBatchSize}`, { field: 'maxBatchSize' });
    }
    if (opts.maxBatchWaitMs !== undefined && opts.maxBatchWaitMs !== null && !(Number.isInteger(opts.maxBatchWaitMs) && opts.maxBatchWaitMs >= 0 && opts.maxBatchWaitMs <= 1000)) {
      throw badInput(`maxBatchWaitMs must be 0-1000, got ${opts.maxBatchWaitMs}`, { field: 'maxBatchWaitMs' });
    }
    const c = await this.checkpoints.getForTeam(team.id, checkpointId);
    await this.visibility.assertSees(p, c.experiment.userId, 'checkpoint', checkpointId);
    if (this.visibility.restricted(p)) {
      // In a course, names are shared: a student may add versions only to a model of their own.
      const existing = await this.repo.findModel(team.id, name);
      if (existing && !(await this.owns(p, existing.versions))) {
        throw new TrainyardError(ErrorCode.CONFLICT, `the name "${name}" is taken in this course; pick another`, { field: 'name' });
      }
    }
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

  async setDefault(p: Principal, name: string, version: number) {
    await this.assertOwnsModel(p, name);
    return this.repo.setDefault(p.team.id, name, version);
  }

  async rollback(p: Principal, name: string) {
    await this.assertOwnsModel(p, name);
    return this.repo.rollback(p.team.id, name);
  }

  async setLabel(p: Principal, name: string, label: string, version: number | null) {
    this.checkLabel(label);
    await this.assertOwnsModel(p, name);
    return this.repo.setLabel(p.team.id, name, label, version);
  }

  async setTrafficSplit(p: Principal, name: string, version: number | null, percent: number) {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw badInput(`percent must be 0-100, got ${percent}`, { field: 'percent' });
    await this.assertOwnsModel(p, name);
    return this.repo.setSplit(p.team.id, name, version, percent);
  }

  async undeployVersion(p: Principal, name: string, version: number) {
    const team = p.team;
    await this.assertOwnsModel(p, name);
    const deleted = await this.repo.undeployVersion(team.id, name, version);
    if (deleted) await this.audit.record({ teamId: team.id, actor: actorOf(team), action: 'deployment.delete', target: name, details: { version } });
    return deleted;
  }

  async undeploy(p: Principal, name: string) {
    const team = p.team;
    await this.assertOwnsModel(p, name);
    const deleted = await this.repo.deleteModel(team.id, name);
    if (deleted) await this.audit.record({ teamId: team.id, actor: actorOf(team), action: 'deployment.delete', target: name });
    return deleted;
  }

  /** A page of the team's served models by name; a student gets the ones they own (as models() filters). */
  async modelsPage<N>(p: Principal, filter: { namePrefix?: string }, page: PageArgs, toNode: (m: ModelRow) => N): Promise<Connection<N>> {
    const owners = this.visibility.restricted(p) ? await this.visibility.ownerIds(p) : undefined;
    return keysetPage(
      {
        list: 'models',
        shape: 's',
        keyOf: (m: ModelRow) => [m.name],
        fetch: (after: Key | undefined, take: number) => this.repo.pageModels(p.team.id, filter, after?.[0] as string | undefined, take),
        count: () => this.repo.countModels(p.team.id, filter),
        visible: owners ? async (m) => m.versions.every((v) => !!v.checkpoint.experiment.userId && owners.includes(v.checkpoint.experiment.userId)) : undefined,
      },
      page,
      toNode,
    );
  }

  async models(p: Principal) {
    const all = await this.repo.listModels(p.team.id);
    if (!this.visibility.restricted(p)) return all;
    const mine = await Promise.all(all.map((m) => this.owns(p, m.versions)));
    return all.filter((_, i) => mine[i]);
  }

  async model(p: Principal, name: string) {
    await this.assertOwnsModel(p, name);
    return this.repo.getModel(p.team.id, name);
  }
}
