import { Inject, Injectable } from '@nestjs/common';
import { badInput, checkpointLayers, readCheckpointHeader } from '@trainyard/common';
import { batchesPerEpoch } from '@trainyard/data';
import { CheckpointRepository, ExperimentRepository } from '@trainyard/db';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { SubmitExperimentInput } from './experiment.inputs';
import { ExperimentService } from './experiment.service';

/**
 * Fine-tuning: a new experiment whose model starts from a checkpoint of the same team (any of its
 * experiments), trained on another dataset with chosen layers frozen. The head is replaced when the
 * dataset's class count differs (the worker does that, see libs/engine/src/finetune.ts).
 */
@Injectable()
export class FineTuneService {
  constructor(
    private readonly experimentService: ExperimentService,
    private readonly experiments: ExperimentRepository,
    private readonly checkpoints: CheckpointRepository,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  async fineTune(teamId: string, checkpointId: string, freezeLayers: string[], input: SubmitExperimentInput) {
    const base = await this.checkpoints.getForTeam(teamId, checkpointId); // NOT_FOUND for another team's
    const { dataset, version, imageShape, numClasses, trainCount, limits } = await this.experimentService.resolveSource(teamId, input.datasetId, input.datasetVersionId);
    const header = readCheckpointHeader(await this.store.getBytes(base.storageKey));
    if (input.model.name !== header.modelSpec.name) {
      throw badInput(`model.name "${input.model.name.slice(0, 32)}" differs from the checkpoint's model "${header.modelSpec.name}"`, { field: 'model.name' });
    }
    const channels = header.modelSpec.inputShape[2];
    if (imageShape[2] !== channels) {
      throw badInput(`the dataset's images have ${imageShape[2]} channel(s), the checkpoint's model takes ${channels}`, { field: 'datasetId' });
    }
    const layers = checkpointLayers(header);
    for (const name of freezeLayers) {
      if (!layers.includes(name)) {
        throw badInput(`cannot freeze layer "${name.slice(0, 64)}": the model has no such layer with weights (it has ${layers.join(', ')})`, { field: 'freezeLayers' });
      }
    }
    const spec = this.experimentService.buildSpec(input, numClasses, trainCount, imageShape, limits);
    const { experiment } = await this.experiments.createIdempotent({
      teamId,
      datasetId: dataset.id,
      datasetVersionId: version?.id ?? null,
      name: input.name,
      idempotencyKey: input.idempotencyKey,
      spec: spec as object,
      totalSteps: batchesPerEpoch(spec.pipeline, trainCount) * spec.epochs,
      baseCheckpointId: base.id,
      frozenLayers: [...new Set(freezeLayers)],
    });
    await this.queue.enqueue('train', { experimentId: experiment.id });
    return experiment;
  }
}
