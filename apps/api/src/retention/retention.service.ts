import { Inject, Injectable } from '@nestjs/common';
import { badInput, ErrorCode, TrainyardError } from '@trainyard/common';
import { ArtifactDeletionRepository, AuditActor, AuditRepository, CheckpointRepository, DatasetRepository, ExperimentRepository, PrismaService } from '@trainyard/db';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';
import { keys } from '@trainyard/storage';

const conflict = (message: string, details?: Record<string, unknown>) => new TrainyardError(ErrorCode.CONFLICT, message, details);

/**
 * Deleting experiments, checkpoints and datasets, and the team's retention policy. Rows go first
 * (with an ArtifactDeletion recording the storage prefix, in one statement); the deleteArtifacts job
 * then frees the bytes. Deployed checkpoints and running experiments are never deleted (CONFLICT).
 * Every deletion (and every policy change, which deletes checkpoints) goes to the audit log: which
 * key, what (by id, with its name or step), when.
 */
@Injectable()
export class RetentionService {
  constructor(
    private readonly deletions: ArtifactDeletionRepository,
    private readonly experiments: ExperimentRepository,
    private readonly checkpoints: CheckpointRepository,
    private readonly datasets: DatasetRepository,
    private readonly prisma: PrismaService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly audit: AuditRepository,
  ) {}

  async deleteExperiment(teamId: string, id: string, actor?: AuditActor): Promise<boolean> {
    const e = await this.experiments.get(teamId, id); // NOT_FOUND for another team's
    const deletion = await this.deletions.deleteExperiment(teamId, id, keys.experiment(teamId, id));
    if (!deletion) {
      if (!this.experiments.isTerminal((await this.experiments.get(teamId, id)).status)) {
        throw conflict(`experiment ${id} is ${e.status}: cancel it before deleting it`, { status: e.status });
      }
      throw conflict(`experiment ${id} has a deployed checkpoint (${await this.deployedNames({ experimentId: id })}): delete the deployment first`);
    }
    await this.audit.record({ teamId, actor, action: 'experiment.delete', target: id, details: { name: e.name, status: e.status } });
    await this.queue.enqueue('deleteArtifacts', { deletionId: deletion });
    return true;
  }

  async deleteCheckpoint(teamId: string, id: string, actor?: AuditActor): Promise<boolean> {
    const c = await this.checkpoints.getForTeam(teamId, id);
    if (!this.experiments.isTerminal(c.experiment.status)) {
      throw conflict(`checkpoint ${id} belongs to an experiment that is ${c.experiment.status}: cancel it first`);
    }
    const deletions = await this.deletions.deleteCheckpoint(teamId, id);
    if (deletions.length === 0) throw conflict(`checkpoint ${id} is deployed (${await this.deployedNames({ checkpointId: id })}): delete the deployment first`);
    await this.audit.record({ teamId, actor, action: 'checkpoint.delete', target: id, details: { experimentId: c.experimentId, step: c.step } });
    for (const deletionId of deletions) await this.queue.enqueue('deleteArtifacts', { deletionId });
    return true;
  }

  async deleteDataset(teamId: string, id: string, actor?: AuditActor): Promise<boolean> {
    const d = await this.datasets.get(teamId, id);
    const deletions = await this.deletions.deleteDataset(teamId, id, keys.dataset(teamId, id));
    if (deletions.length === 0) {
      const users = await this.prisma.experiment.count({ where: { datasetId: id } });
      throw conflict(`dataset ${id} is used by ${users} experiment(s): delete them first`, { experiments: users });
    }
    await this.audit.record({ teamId, actor, action: 'dataset.delete', target: id, details: { name: d.name } });
    for (const deletionId of deletions) await this.queue.enqueue('deleteArtifacts', { deletionId });
    return true;
  }

  /** Sets (or with null clears) the policy and applies it at once to the team's finished experiments. */
  async setPolicy(teamId: string, keepNewest: number | null, actor?: AuditActor): Promise<{ keepNewest: number | null; released: number }> {
    if (keepNewest !== null && (!Number.isInteger(keepNewest) || keepNewest < 0 || keepNewest > 1000)) {
      throw badInput(`keepNewest must be an integer from 0 to 1000, or null to keep everything; got ${keepNewest}`, { field: 'keepNewest' });
    }
    await this.deletions.setRetention(teamId, keepNewest);
    const released = await this.deletions.applyRetention(teamId);
    await this.audit.record({ teamId, actor, action: 'retention.set', target: teamId, details: { keepNewest, checkpointsReleased: released.length } });
    for (const deletionId of released) await this.queue.enqueue('deleteArtifacts', { deletionId });
    return { keepNewest, released: released.length };
  }

  async policy(teamId: string) {
    return { keepNewest: await this.deletions.retention(teamId), released: 0 };
  }

  private async deployedNames(where: { checkpointId?: string; experimentId?: string }): Promise<string> {
    const rows = await this.prisma.deployment.findMany({
      where: where.checkpointId ? { checkpointId: where.checkpointId } : { checkpoint: { experimentId: where.experimentId } },
      select: { name: true },
    });
    return rows.map((d) => `"${d.name}"`).join(', ');
  }
}
