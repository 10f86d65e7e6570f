/** The optimizer registry's schema (pure): names, settings, defaults, and which settings each takes. */
import { z } from 'zod';

export const OPTIMIZERS = {
  SGD: { settings: [], defaults: {} },
  Momentum: { settings: ['momentum', 'useNesterov'], defaults: { momentum: 0.9, useNesterov: false } },
  RMSProp: { settings: ['decay', 'rho', 'momentum', 'epsilon', 'centered'], defaults: { decay: 0.9, momentum: 0, epsilon: 1e-10, centered: false } },
  Adam: { settings: ['beta1', 'beta2', 'epsilon'], defaults: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } },
  AdamW: { settings: ['beta1', 'beta2', 'epsilon', 'weightDecay'], defaults: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 } },
  /** MindSpore's name for AdamW. */
  AdamWeightDecay: { settings: ['beta1', 'beta2', 'epsilon', 'weightDecay'], defaults: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 } },
  Adagrad: { settings: ['initialAccumulatorValue'], defaults: { initialAccumulatorValue: 0.1 } },
  Adadelta: { settings: ['rho', 'epsilon'], defaults: { rho: 0.95, epsilon: 1e-7 } },
  Adamax: { settings: ['beta1', 'beta2', 'epsilon'], defaults: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } },
} as const;

export type OptimizerName = keyof typeof OPTIMIZERS;
export const OPTIMIZER_NAMES = Object.keys(OPTIMIZERS) as [OptimizerName, ...OptimizerName[]];

const unit = (what: string) => z.number({ invalid_type_error: `${what} must be a number` }).min(0, `${what} must be >= 0`).lt(1, `${what} must be < 1`);
const positive = (what: string) => z.number({ invalid_type_error: `${what} must be a number` }).finite(`${what} must be finite`).positive(`${what} must be > 0`);

export const optimizerSpecSchema = z
  .object({
    name: z.enum(OPTIMIZER_NAMES, { errorMap: () => ({ message: `unknown optimizer; expected one of ${OPTIMIZER_NAMES.join(', ')}` }) }),
    learningRate: positive('learningRate'),
    momentum: unit('momentum').optional(),
    useNesterov: z.boolean().optional(),
    weightDecay: z.number().finite().min(0, 'weightDecay must be >= 0').optional(),
    beta1: unit('beta1').optional(),
    beta2: unit('beta2').optional(),
    epsilon: positive('epsilon').optional(),
    /** RMSProp: MindSpore's `decay`; Keras calls it rho (both accepted). Adadelta: rho. */
    decay: unit('decay').optional(),
    rho: unit('rho').optional(),
    centered: z.boolean().optional(),
    initialAccumulatorValue: z.number().finite().min(0, 'initialAccumulatorValue must be >= 0').optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const allowed = new Set<string>(['name', 'learningRate', ...OPTIMIZERS[o.name].settings]);
    for (const key of Object.keys(o)) {
      if (!allowed.has(key) && (o as Record<string, unknown>)[key] !== undefined) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: `${key} is not a setting of ${o.name} (it takes ${OPTIMIZERS[o.name].settings.join(', ') || 'only learningRate'})` });
      }
    }
    if (o.name === 'RMSProp' && o.decay != null && o.rho != null && o.decay !== o.rho) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['rho'], message: `decay and rho are the same setting; got decay ${o.decay} and rho ${o.rho}` });
    }
  });

export type OptimizerSpecInput = z.input<typeof optimizerSpecSchema>;
export type OptimizerSpec = z.output<typeof optimizerSpecSchema>;

/** The spec with each setting of its optimizer filled in (RMSProp's rho folded into decay). */
export function resolveOptimizerSpec(spec: OptimizerSpec): OptimizerSpec {
  const out: Record<string, unknown> = { ...OPTIMIZERS[spec.name].defaults, ...Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)) };
  if (spec.name === 'RMSProp') {
    out.decay = spec.decay ?? spec.rho ?? 0.9;
    delete out.rho;
  }
  return out as OptimizerSpec;
}
