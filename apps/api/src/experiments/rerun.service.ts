import { Injectable } from '@nestjs/common';
import { datasetDigest, ErrorCode, Receipt, TrainyardError } from '@trainyard/common';
import { CheckpointRepository, CreateGuard, ExperimentRepository } from '@trainyard/db';
import { ExperimentService } from './experiment.service';

const conflict = (message: string) => new TrainyardError(ErrorCode.CONFLICT, message);

/** rerunExperiment: a new experiment from another's receipt (same dataset contents, spec, seed, base). */
@Injectable()
export class RerunService {
  constructor(
    private readonly experiments: ExperimentRepository,
    private readonly experimentService: ExperimentService,
    private readonly checkpoints: CheckpointRepository,
  ) {}

  /** `owner`: who asks (course visibility) and the course's runs-in-flight check (see ExperimentService.submit). */
  async rerun(teamId: string, id: string, owner: { userId?: string; guard?: CreateGuard } = {}) {
    const source = await this.experiments.get(teamId, id);
    const receipt = source.receipt as unknown as Receipt | null;
    if (!receipt) throw conflict(`experiment ${id} has no receipt yet: it has not started`);
    // A receipt from before versions has no version id; the migration that turned those datasets'
    // idx files into a version set it on the experiment row.
    const versionId = receipt.datasetVersionId ?? source.datasetVersionId;
    const { dataset, version } = await this.experimentService.resolveSource(teamId, receipt.datasetId, versionId).catch((e: Error) => {
      throw conflict(`experiment ${id} trained on dataset ${receipt.datasetId}${receipt.datasetVersionId ? ` version ${receipt.datasetVersionId}` : ''}, which is not usable now: ${e.message}`);
    });
    // Such a receipt named the files by role (train-images was TRAIN_IMAGES); the bytes and hashes are the same.
    const legacy = !receipt.datasetVersionId;
    const files = (version?.sources ?? []).map((s) => ({ name: legacy ? s.name.toUpperCase().replace(/-/g, '_') : s.name, sha256: s.sha256 ?? '' }));
    const digest = datasetDigest(files);
    if (digest !== receipt.datasetDigest) {
      throw conflict(`dataset ${dataset.id} changed since experiment ${id} ran (digest ${digest.slice(0, 12)}, receipt ${receipt.datasetDigest.slice(0, 12)})`);
    }
    if (receipt.baseCheckpointId && !(await this.checkpoints.getById(receipt.baseCheckpointId))) {
      throw conflict(`the checkpoint ${receipt.baseCheckpointId} experiment ${id} was fine-tuned from no longer exists`);
    }
    const { experiment } = await this.experiments.createIdempotent({
      teamId,
      datasetId: dataset.id,
      datasetVersionId: version?.id ?? null,
      name: `${source.name} (rerun)`.slice(0, 200),
      spec: receipt.spec as object,
      totalSteps: source.totalSteps,
      baseCheckpointId: receipt.baseCheckpointId ?? undefined,
      frozenLayers: receipt.frozenLayers,
      userId: owner.userId,
    }, owner.guard);
    await this.experimentService.enqueueOrLeaveToReconciler(experiment);
    return experiment;
  }
}
