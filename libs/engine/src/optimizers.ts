/**
 * Optimizers from a declarative spec (what an experiment stores), validated before anything is queued.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '@trainyard/common';
import { FusedMomentumOptimizer } from './fused_momentum';

export const OPTIMIZER_NAMES = ['SGD', 'Momentum', 'RMSProp', 'Adam', 'AdamWeightDecay'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export interface OptimizerSpec {
  name: OptimizerName;
  learningRate: number;
  /** Momentum: momentum factor (default 0.9); RMSProp: momentum (default 0). */
  momentum?: number;
  /** Momentum only: Nesterov momentum (default false). */
  useNesterov?: boolean;
  /** AdamWeightDecay only: decoupled weight decay (default 0.01). */
  weightDecay?: number;
  /** Adam, AdamWeightDecay: defaults 0.9 / 0.999 / 1e-8. RMSProp: epsilon default 1e-10. */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** RMSProp: discounting factor of the squared-gradient average (MindSpore `decay`), default 0.9. */
  decay?: number;
  /** RMSProp: Keras' name for `decay`; accepted as an alias. */
  rho?: number;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Throws badInput naming the first wrong field; returns the spec with defaults filled in. */
export function validateOptimizerSpec(spec: unknown): OptimizerSpec {
  const s = spec as Partial<OptimizerSpec> | null;
  if (s == null || typeof s !== 'object') throw badInput('optimizer spec must be an object');
  if (!OPTIMIZER_NAMES.includes(s.name as OptimizerName)) {
    throw badInput(`unknown optimizer "${s.name}"; expected one of ${OPTIMIZER_NAMES.join(', ')}`);
  }
  if (!finite(s.learningRate) || s.learningRate <= 0) {
    throw badInput(`learningRate must be > 0, got ${s.learningRate}`, { field: 'learningRate' });
  }
  const inRange = (field: keyof OptimizerSpec, lo: number, hi: number, loOpen: boolean, hiOpen: boolean) => {
    const v = s[field];
    if (v == null) return;
    const ok = finite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
    if (!ok) {
      const range = `${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`;
      throw badInput(`${field} must be in ${range}, got ${v}`, { field });
    }
  };
  inRange('momentum', 0, 1, false, true);
  inRange('beta1', 0, 1, false, true);
  inRange('beta2', 0, 1, false, true);
  inRange('decay', 0, 1, false, true);
  inRange('rho', 0, 1, false, true);
  if (s.decay != null && s.rho != null && s.decay !== s.rho) {
    throw badInput(`decay and rho are the same setting; got decay ${s.decay} and rho ${s.rho}`, { field: 'rho' });
  }
  inRange('epsilon', 0, Infinity, true, true);
  inRange('weightDecay', 0, Infinity, false, true);
  if (s.useNesterov != null && typeof s.useNesterov !== 'boolean') {
    throw badInput(`useNesterov must be a boolean, got ${s.useNesterov}`, { field: 'useNesterov' });
  }
  const out: OptimizerSpec = { name: s.name as OptimizerName, learningRate: s.learningRate };
  switch (out.name) {
    case 'SGD':
      break;
    case 'Momentum':
      Object.assign(out, { momentum: s.momentum ?? 0.9, useNesterov: s.useNesterov ?? false });
      break;
    case 'RMSProp':
      Object.assign(out, { decay: s.decay ?? s.rho ?? 0.9, momentum: s.momentum ?? 0, epsilon: s.epsilon ?? 1e-10 });
      break;
    case 'Adam':
    case 'AdamWeightDecay':
      Object.assign(out, { beta1: s.beta1 ?? 0.9, beta2: s.beta2 ?? 0.999, epsilon: s.epsilon ?? 1e-8 });
      if (out.name === 'AdamWeightDecay') out.weightDecay = s.weightDecay ?? 0.01;
      break;
  }
  return out;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter, "AdamW"; MindSpore's AdamWeightDecay): after
 * the Adam update, each weight matrix/kernel (rank >= 2) shrinks by learningRate * weightDecay * value.
 * Biases (rank 1) are not decayed, as in the usual decay filters.
 */
export class AdamWeightDecayOptimizer extends tf.AdamOptimizer {
  static override get className(): string {
    return 'AdamWeightDecay';
  }

  constructor(
    learningRate: number,
    readonly weightDecay: number,
    beta1: number,
    beta2: number,
    epsilon: number,
  ) {
    super(learningRate, beta1, beta2, epsilon);
  }

  override applyGradients(grads: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const names = Array.isArray(grads) ? grads.map((g) => g.name) : Object.keys(grads);
    // AdamW: p ← p − lr·(adam_update) − lr·wd·p_old. The decay term is taken from the pre-step value.
    const decay = tf.tidy(() =>
      names
        .map((name) => tf.engine().registeredVariables[name])
        .filter((v) => v != null && v.rank >= 2)
        .map((v) => ({ v, term: tf.keep(tf.mul(v, this.learningRate * this.weightDecay)) })),
    );
    super.applyGradients(grads);
    for (const { v, term } of decay) {
      tf.tidy(() => v.assign(tf.sub(v, term)));
      term.dispose();
    }
  }
}

/** Builds a tfjs optimizer from a spec (validated first). */
export function buildOptimizer(spec: OptimizerSpec): tf.Optimizer {
  const s = validateOptimizerSpec(spec);
  switch (s.name) {
    case 'SGD':
      return tf.train.sgd(s.learningRate);
    case 'Momentum':
      // tfjs' MomentumOptimizer with a one-pass-per-variable update on wasm (bit-identical results).
      return new FusedMomentumOptimizer(s.learningRate, s.momentum!, s.useNesterov);
    case 'RMSProp':
      return tf.train.rmsprop(s.learningRate, s.decay, s.momentum, s.epsilon);
    case 'Adam':
      return tf.train.adam(s.learningRate, s.beta1, s.beta2, s.epsilon);
    case 'AdamWeightDecay':
      return new AdamWeightDecayOptimizer(s.learningRate, s.weightDecay!, s.beta1!, s.beta2!, s.epsilon!);
  }
}

/** Our optimizer name for a tfjs optimizer instance (its registered class name), e.g. 'Momentum'. */
export function optimizerNameOf(optimizer: tf.Optimizer): string {
  return (optimizer.constructor as unknown as { className: string }).className;
}
