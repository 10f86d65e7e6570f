import { Inject, Injectable } from '@nestjs/common';
import { badInput, ExperimentSpec } from '@trainyard/common';
import { CheckpointRepository, EvaluationRepository } from '@trainyard/db';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';
import { ExperimentService } from '../experiments/experiment.service';

/** What a checkpoint's model accepts, from the spec of the experiment that trained it. */
export interface ModelInputs {
  imageShape: number[];
  numClasses: number;
  /** The pipeline resizes images, so any height and width fit. */
  resizes: boolean;
}

export function modelInputsOf(spec: ExperimentSpec): ModelInputs {
  const map = ((spec.pipeline as { map?: Array<{ op: string }> } | undefined)?.map ?? []) as Array<{ op: string }>;
  return { imageShape: spec.imageShape, numClasses: spec.model.numClasses, resizes: map.some((m) => m.op === 'Resize') };
}

/**
 * Throws BAD_USER_INPUT naming the mismatch when a dataset's samples cannot go through the model:
 * another channel count, another image size without a Resize, more classes than the model outputs.
 */
export function checkCompatible(model: ModelInputs, dataset: { imageShape: number[]; numClasses: number }): void {
  const [h, w, c] = dataset.imageShape;
  const [mh, mw, mc] = model.imageShape;
  if (c !== mc) throw badInput(`the dataset's images have ${c} channel(s), the checkpoint's model takes ${mc}`, { field: 'datasetId' });
  if (!model.resizes && (h !== mh || w !== mw)) {
    throw badInput(`the dataset's images are ${h}x${w}, the checkpoint's model takes ${mh}x${mw} (its pipeline has no Resize)`, { field: 'datasetId' });
  }
  if (dataset.numClasses > model.numClasses) {
    throw badInput(`the dataset has ${dataset.numClasses} classes, the checkpoint's model outputs ${model.numClasses}`, { field: 'datasetId' });
  }
}

@Injectable()
export class EvaluationService {
  constructor(
    private readonly evaluations: EvaluationRepository,
    private readonly checkpoints: CheckpointRepository,
    private readonly experimentService: ExperimentService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  /** Checks that the dataset (version: the one named, else the newest READY one) fits the checkpoint's model, records the evaluation and queues it. */
  async evaluateCheckpoint(teamId: string, checkpointId: string, datasetId: string, datasetVersionId?: string | null) {
    const checkpoint = await this.checkpoints.getForTeam(teamId, checkpointId);
    const { dataset, version, imageShape, numClasses } = await this.experimentService.resolveSource(teamId, datasetId, datasetVersionId);
    checkCompatible(modelInputsOf(checkpoint.experiment.spec as unknown as ExperimentSpec), { imageShape, numClasses });
    const evaluation = await this.evaluations.create(teamId, checkpoint.id, dataset.id, version?.id ?? null);
    await this.queue.enqueue('evaluate', { evaluationId: evaluation.id });
    return evaluation;
  }
}
