/** Learning-rate schedules (pure): the schema and the learning rate in force at each step. */
import { z } from 'zod';

const steps = (what: string) =>
  z.number({ invalid_type_error: `${what} must be a number` }).int(`${what} must be an integer`).nonnegative(`${what} must be >= 0`);
const positiveSteps = (what: string) => steps(what).positive(`${what} must be > 0`);
const gamma = z.number().positive('gamma must be > 0').max(1, 'gamma must be <= 1');
const warmupSteps = steps('warmupSteps').default(0);

export const scheduleSpecSchema = z.discriminatedUnion(
  'name',
  [
    z.object({ name: z.literal('constant'), warmupSteps }).strict(),
    /** lr · gamma^floor(t / stepSize) (PyTorch StepLR, counted in steps). */
    z.object({ name: z.literal('step'), warmupSteps, stepSize: positiveSteps('stepSize'), gamma: gamma.default(0.1) }).strict(),
    /** lr · gamma^(t / decaySteps) (Keras ExponentialDecay). */
    z.object({ name: z.literal('exponential'), warmupSteps, decaySteps: positiveSteps('decaySteps'), gamma: gamma.default(0.96) }).strict(),
    /** minLearningRate + (lr − min)·(1 + cos(π·t/T))/2 over T = decaySteps (default: the rest of the run). */
    z
      .object({
        name: z.literal('cosine'),
        warmupSteps,
        decaySteps: positiveSteps('decaySteps').optional(),
        minLearningRate: z.number().finite().nonnegative('minLearningRate must be >= 0').default(0),
      })
      .strict(),
  ],
  { errorMap: (issue, ctx) => (issue.code === 'invalid_union_discriminator' ? { message: `unknown schedule; expected one of ${SCHEDULE_NAMES.join(', ')}` } : { message: ctx.defaultError }) },
);

export const SCHEDULE_NAMES = ['constant', 'step', 'exponential', 'cosine'] as const;
export type ScheduleSpecInput = z.input<typeof scheduleSpecSchema>;
export type ScheduleSpec = z.output<typeof scheduleSpecSchema>;

/**
 * The learning rate for global step `step` (1-based: the step about to be taken). Warm-up ramps
 * linearly from base/warmupSteps to base over the first warmupSteps steps; the schedule's own clock t
 * starts after it. `totalSteps` is the whole run's step count (cosine's default horizon).
 */
export function learningRateAt(schedule: ScheduleSpec | undefined, base: number, step: number, totalSteps: number): number {
  if (!schedule) return base;
  const warm = schedule.warmupSteps ?? 0;
  if (step <= warm) return (base * step) / warm;
  const t = step - warm - 1; // 0 on the first step after warm-up
  switch (schedule.name) {
    case 'constant':
      return base;
    case 'step':
      return base * Math.pow(schedule.gamma, Math.floor(t / schedule.stepSize));
    case 'exponential':
      return base * Math.pow(schedule.gamma, t / schedule.decaySteps);
    case 'cosine': {
      const horizon = schedule.decaySteps ?? Math.max(1, totalSteps - warm);
      const p = Math.min(1, t / horizon);
      return schedule.minLearningRate + (base - schedule.minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * p));
    }
  }
}
