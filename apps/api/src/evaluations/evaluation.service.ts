import { Inject, Injectable } from '@nestjs/common';
import { badInput, ErrorCode, ExperimentSpec, TrainyardError } from '@trainyard/common';
import { CheckpointRepository, DatasetRepository, EvaluationRepository } from '@trainyard/db';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';

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
    private readonly datasets: DatasetRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  /** Checks that the dataset fits the checkpoint's model, records the evaluation and queues it. */
  async evaluateCheckpoint(teamId: string, checkpointId: string, datasetId: string) {
    const checkpoint = await this.checkpoints.getForTeam(teamId, checkpointId);
    const dataset = await this.datasets.get(teamId, datasetId);
    if (dataset.status !== 'READY' || !dataset.numClasses) {
      throw new TrainyardError(ErrorCode.CONFLICT, `dataset ${dataset.id} is not ready: upload all its files first`, { datasetId: dataset.id });
    }
    checkCompatible(modelInputsOf(checkpoint.experiment.spec as unknown as ExperimentSpec), { imageShape: dataset.imageShape, numClasses: dataset.numClasses });
    const evaluation = await this.evaluations.create(teamId, checkpoint.id, dataset.id);
    await this.queue.enqueue('evaluate', { evaluationId: evaluation.id });
    return evaluation;
  }
}
