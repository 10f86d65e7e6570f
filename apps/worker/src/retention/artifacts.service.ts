import { Inject, Injectable, Logger } from '@nestjs/common';
import { ArtifactDeletionRepository } from '@trainyard/db';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';
import { ARTIFACT_STORE, ArtifactStore, keys } from '@trainyard/storage';

/**
 * Frees stored bytes: the `deleteArtifacts` job removes every object under one ArtifactDeletion's
 * prefix (its rows are already gone), then forgets the deletion; a job run twice finds nothing left
 * to do. Also applies the team's retention policy to a run that just ended.
 */
@Injectable()
export class ArtifactsService {
  private readonly logger = new Logger('Artifacts');

  constructor(
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly deletions: ArtifactDeletionRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  async handle(job: { deletionId: string }): Promise<string> {
    const d = await this.deletions.get(job.deletionId);
    if (!d) return 'already-finished';
    // Never outside the team's own folder, whatever the row says.
    if (!d.prefix.startsWith(keys.team(d.teamId))) {
      this.logger.error(`deletion ${d.id}: prefix ${JSON.stringify(d.prefix.slice(0, 80))} is outside team ${d.teamId}'s folder; refused`);
      await this.deletions.done(d.id);
      return 'refused';
    }
    const objects = await this.store.list(d.prefix);
    let bytes = 0;
    for (const [i, o] of objects.entries()) {
      await this.store.delete(o.key);
      bytes += o.sizeBytes;
      if ((i + 1) % 100 === 0) this.logger.log(`deletion ${d.id}: ${i + 1}/${objects.length} objects deleted`);
    }
    await this.deletions.done(d.id);
    this.logger.log(`deletion ${d.id} (${d.reason}): freed ${objects.length} objects, ${bytes} bytes`);
    return `freed ${objects.length} objects`;
  }

  /** After a run ends: the team's retention policy on its checkpoints, bytes freed in the background. */
  async afterRun(teamId: string, experimentId: string): Promise<void> {
    for (const deletionId of await this.deletions.applyRetention(teamId, [experimentId])) {
      await this.queue.enqueue('deleteArtifacts', { deletionId });
    }
  }

  pending() {
    return this.deletions.pending();
  }
}
