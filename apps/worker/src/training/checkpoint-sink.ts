import { Inject, Injectable } from '@nestjs/common';
import { CheckpointRepository } from '@trainyard/db';
import type { CheckpointMeta } from '@trainyard/engine';
import { ARTIFACT_STORE, ArtifactStore, keys } from '@trainyard/storage';

/** The run a checkpoint belongs to: where its bytes go and which attempt fences its row. */
export interface CheckpointRun {
  teamId: string;
  experimentId: string;
  attempt: number;
  /** The spec's keepCheckpointMax: older checkpoints (not deployed) are deleted. */
  keepMax: number;
  /** keepBest: the engine's keep policy (newest K plus the best by a metric) names the expired steps. */
  keepBest: boolean;
}

/**
 * Stores the checkpoints a training thread hands over. Bytes first (under a key holding the attempt,
 * so a superseded worker never overwrites a newer attempt's object), then the fenced row; a row that
 * could not be written takes its bytes with it; then the keep policy deletes old rows before bytes.
 */
@Injectable()
export class CheckpointSink {
  constructor(
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly checkpoints: CheckpointRepository,
  ) {}

  async save(run: CheckpointRun, bytes: Uint8Array, meta: CheckpointMeta): Promise<void> {
    const { teamId, experimentId, attempt } = run;
    const key = keys.checkpoint(teamId, experimentId, meta.step, attempt);
    await this.store.put(key, bytes, { contentType: 'application/octet-stream' });
    let replaced: string | undefined;
    try {
      replaced = await this.checkpoints.record(attempt, { experimentId, step: meta.step, epoch: meta.epoch, storageKey: key, sizeBytes: bytes.byteLength });
    } catch (err) {
      await this.store.delete(key);
      throw err;
    }
    if (replaced) await this.store.delete(replaced);
    const expired = run.keepBest
      ? (await this.checkpoints.forExperiment(experimentId)).filter((c) => meta.expired.includes(c.step))
      : await this.checkpoints.expired(experimentId, run.keepMax);
    for (const old of expired) {
      await this.checkpoints.delete(old.id);
      await this.store.delete(old.storageKey);
    }
  }
}
