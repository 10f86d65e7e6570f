/**
 * The experiment spec: what an experiment trains, stored with it and read by the worker. Composed of
 * the registries' schemas; the API validates it before anything is queued. The pipeline part is
 * validated by @trainyard/data, which owns its ops.
 */
import { z } from 'zod';
import { checkpointSpecSchema, earlyStoppingSpecSchema } from './callbacks';
import { lossSpecSchema } from './losses';
import { modelSpecSchema } from './models';
import { optimizerSpecSchema } from './optimizers';
import { scheduleSpecSchema } from './schedules';

const positiveInt = (what: string) => z.number({ invalid_type_error: `${what} must be a number` }).int(`${what} must be an integer`).positive(`${what} must be > 0`);

export const experimentSpecSchema = z.object({
  model: modelSpecSchema,
  /** One raw sample of the dataset, [height, width, channels]: what predict instances look like. */
  imageShape: z.array(positiveInt('imageShape')).length(3),
  pipeline: z.unknown(),
  loss: lossSpecSchema,
  optimizer: optimizerSpecSchema,
  /** Learning-rate schedule; constant when absent. */
  schedule: scheduleSpecSchema.optional(),
  /** L2 penalty l2/2·Σw² over kernels (rank >= 2), added to the loss. */
  l2: z.number().finite().nonnegative('l2 must be >= 0').optional(),
  /** Rescale the gradients so their global norm is at most this. */
  clipGlobalNorm: z.number().finite().positive('clipGlobalNorm must be > 0').optional(),
  epochs: positiveInt('epochs').max(10_000),
  perPrintTimes: positiveInt('perPrintTimes'),
  seed: z.number().int(),
  checkpoint: checkpointSpecSchema,
  earlyStopping: earlyStoppingSpecSchema.optional(),
  /** Wall-clock budget: the run ends (with a checkpoint and a test evaluation) after this many seconds. */
  timeBudgetSeconds: positiveInt('timeBudgetSeconds').optional(),
  /** k of the top-k accuracy in evaluations (default min(5, numClasses)). */
  topK: positiveInt('topK').max(100).optional(),
});

export type ExperimentSpecInput = z.input<typeof experimentSpecSchema>;
export type ExperimentSpec = z.output<typeof experimentSpecSchema>;
