import { z } from 'zod';
import { badInput } from './errors';

/**
 * What an experiment trains, stored with it and read by the worker. The API validates it before
 * anything is queued; the pipeline part is validated by @trainyard/data, which owns its ops.
 */
export const MODEL_NAMES = ['lenet5', 'cnn'] as const;
export const OPTIMIZER_NAMES = ['SGD', 'Momentum', 'RMSProp', 'Adam', 'AdamWeightDecay'] as const;
export const LOSS_NAMES = ['SoftmaxCrossEntropyWithLogits'] as const;

const positive = (what: string) => z.number({ invalid_type_error: `${what} must be a number` }).finite(`${what} must be finite`).positive(`${what} must be > 0`);
const positiveInt = (what: string) => z.number().int(`${what} must be an integer`).positive(`${what} must be > 0`);

export const optimizerSpecSchema = z.object({
  name: z.enum(OPTIMIZER_NAMES, { errorMap: () => ({ message: `unknown optimizer; expected one of ${OPTIMIZER_NAMES.join(', ')}` }) }),
  learningRate: positive('learningRate'),
  momentum: z.number().min(0, 'momentum must be >= 0').lt(1, 'momentum must be < 1').optional(),
  useNesterov: z.boolean().optional(),
  weightDecay: z.number().min(0, 'weightDecay must be >= 0').optional(),
  beta1: z.number().min(0).lt(1).optional(),
  beta2: z.number().min(0).lt(1).optional(),
  epsilon: positive('epsilon').optional(),
  rho: z.number().min(0).lt(1).optional(),
});

export const experimentSpecSchema = z.object({
  model: z.object({
    name: z.enum(MODEL_NAMES, { errorMap: () => ({ message: `unknown model; expected one of ${MODEL_NAMES.join(', ')}` }) }),
    numClasses: positiveInt('numClasses').max(10_000),
  }),
  /** One raw sample of the dataset, [height, width, channels]: what predict instances look like. */
  imageShape: z.array(positiveInt('imageShape')).length(3),
  pipeline: z.unknown(),
  loss: z.object({
    name: z.enum(LOSS_NAMES, { errorMap: () => ({ message: `unknown loss; expected ${LOSS_NAMES.join(', ')}` }) }),
    sparse: z.boolean(),
  }),
  optimizer: optimizerSpecSchema,
  epochs: positiveInt('epochs').max(10_000),
  perPrintTimes: positiveInt('perPrintTimes'),
  seed: z.number().int(),
  checkpoint: z.object({
    saveCheckpointSteps: positiveInt('saveCheckpointSteps'),
    keepCheckpointMax: positiveInt('keepCheckpointMax').max(1000),
  }),
});

export type OptimizerSpec = z.infer<typeof optimizerSpecSchema>;
export type ExperimentSpec = z.infer<typeof experimentSpecSchema>;

/** Parses a spec or throws BAD_USER_INPUT naming the first bad field. */
export function parseExperimentSpec(value: unknown): ExperimentSpec {
  const r = experimentSpecSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.join('.');
    throw badInput(`${field}: ${issue.message}`, { field });
  }
  return r.data;
}
