/** Run-control settings (pure schemas): checkpoints, early stopping, time budget. */
import { z } from 'zod';

/** Metrics a callback can watch: training or validation loss/accuracy (val_* need a validation split). */
export const MONITORS = ['val_loss', 'val_accuracy', 'loss', 'accuracy'] as const;
export type Monitor = (typeof MONITORS)[number];
const monitor = z.enum(MONITORS, { errorMap: () => ({ message: `monitor must be one of ${MONITORS.join(', ')}` }) });

/** Whether a larger value of the metric is better. */
export const higherIsBetter = (m: Monitor) => m.endsWith('accuracy');

const posInt = (what: string) => z.number({ invalid_type_error: `${what} must be a number` }).int(`${what} must be an integer`).positive(`${what} must be > 0`);

export const checkpointSpecSchema = z
  .object({
    saveCheckpointSteps: posInt('saveCheckpointSteps'),
    keepCheckpointMax: posInt('keepCheckpointMax').max(1000),
    /** Also save at the end of every epoch. */
    everyEpoch: z.boolean().default(false),
    /** Keep the best checkpoint by this metric beside the newest keepCheckpointMax (epoch-end checkpoints). */
    keepBest: z.object({ monitor: monitor.default('val_accuracy') }).strict().optional(),
  })
  .strict();

export const earlyStoppingSpecSchema = z
  .object({
    monitor: monitor.default('val_loss'),
    patience: z.number().int('patience must be an integer').nonnegative('patience must be >= 0').default(3),
    minDelta: z.number().finite().nonnegative('minDelta must be >= 0').default(0),
  })
  .strict();

export type CheckpointSpec = z.output<typeof checkpointSpecSchema>;
export type EarlyStoppingSpec = z.output<typeof earlyStoppingSpecSchema>;

/** What an epoch summary stores (JSON-safe; non-finite numbers become null). */
export interface EpochSummaryData {
  meanLoss: number | null;
  accuracy: number | null;
  learningRate: number;
  samplesPerSecond: number;
  steps: number;
  val: Record<string, number> | null;
  layers: Array<{ name: string; weightNorm: number; gradNorm: number | null }>;
}
