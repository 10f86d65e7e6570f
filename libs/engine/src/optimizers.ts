/**
 * Optimizers from a declarative spec (what an experiment stores), validated before anything is queued.
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '@trainyard/common';
import { FusedMomentumOptimizer } from './fused_momentum';
import { OPTIMIZER_NAMES, optimizerSpecSchema, resolveOptimizerSpec, type OptimizerName, type OptimizerSpec as ResolvedOptimizerSpec, type OptimizerSpecInput } from './spec';

export { OPTIMIZER_NAMES };
export type { OptimizerName, OptimizerSpecInput };
/** A stored optimizer spec (what checkpoints and experiments hold). */
export type OptimizerSpec = OptimizerSpecInput;

/** Throws BAD_USER_INPUT naming the first wrong field; returns the spec with its defaults filled in. */
export function validateOptimizerSpec(spec: unknown): ResolvedOptimizerSpec {
  const r = optimizerSpecSchema.safeParse(spec);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.join('.') || 'optimizer';
    throw badInput(`${field}: ${issue.message}`, { field: `optimizer.${field}` });
  }
  return resolveOptimizerSpec(r.data);
}

/** AdamW is AdamWeightDecay by another name (the optimizer class and its checkpoint state are one). */
export function canonicalOptimizerName(name: string): string {
  return name === 'AdamW' ? 'AdamWeightDecay' : name;
}

/** Sets the learning rate in force (schedules call this before a step). */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (o.learningRate === lr) return;
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

export function learningRateOf(optimizer: tf.Optimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
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
      return tf.train.rmsprop(s.learningRate, s.decay, s.momentum, s.epsilon, s.centered);
    case 'Adam':
      return tf.train.adam(s.learningRate, s.beta1, s.beta2, s.epsilon);
    case 'AdamW':
    case 'AdamWeightDecay':
      return new AdamWeightDecayOptimizer(s.learningRate, s.weightDecay!, s.beta1!, s.beta2!, s.epsilon!);
    case 'Adagrad':
      return tf.train.adagrad(s.learningRate, s.initialAccumulatorValue);
    case 'Adadelta':
      return new AdadeltaOptimizer(s.learningRate, s.rho!, s.epsilon);
    case 'Adamax':
      return tf.train.adamax(s.learningRate, s.beta1, s.beta2, s.epsilon);
  }
}

/** Our optimizer name for a tfjs optimizer instance (its registered class name), e.g. 'Momentum'. */
export function optimizerNameOf(optimizer: tf.Optimizer): string {
  return (optimizer.constructor as unknown as { className: string }).className;
}

type AdadeltaInternals = {
  accumulatedGrads: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedUpdates: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  rho: number;
  epsilon: number;
  learningRate: number;
  incrementIterations(): void;
};

/**
 * Adadelta as Zeiler (2012), Keras and PyTorch define it. tfjs 4.22's AdadeltaOptimizer divides by the
 * accumulated squared gradient from BEFORE this step (so its first step is lr·g, a plain SGD step of
 * size 1 at lr 1). Here the update uses the new accumulator:
 *   E[g²] = ρ·E[g²] + (1−ρ)·g²;  Δ = √(E[Δ²] + ε)/√(E[g²] + ε)·g;  E[Δ²] = ρ·E[Δ²] + (1−ρ)·Δ²;  w −= lr·Δ
 * State (names, order, getWeights/setWeights) is tfjs' own, so checkpoints work unchanged.
 */
export class AdadeltaOptimizer extends tf.AdadeltaOptimizer {
  static override get className(): string {
    return 'Adadelta';
  }

  override applyGradients(variableGradients: Parameters<tf.AdadeltaOptimizer['applyGradients']>[0]): void {
    const self = this as unknown as AdadeltaInternals;
    const names = Array.isArray(variableGradients) ? variableGradients.map((g) => g.name) : Object.keys(variableGradients);
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      self.accumulatedGrads[i] ??= { originalName: `${name}/accum_grad`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      self.accumulatedUpdates[i] ??= { originalName: `${name}/accum_var`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
      if (gradient == null) return;
      const accGrad = self.accumulatedGrads[i]!.variable;
      const accUpdate = self.accumulatedUpdates[i]!.variable;
      tf.tidy(() => {
        const newAccGrad = tf.add(tf.mul(accGrad, self.rho), tf.mul(tf.square(gradient), 1 - self.rho));
        const update = tf.mul(tf.div(tf.sqrt(tf.add(accUpdate, self.epsilon)), tf.sqrt(tf.add(newAccGrad, self.epsilon))), gradient);
        accUpdate.assign(tf.add(tf.mul(accUpdate, self.rho), tf.mul(tf.square(update), 1 - self.rho)));
        accGrad.assign(newAccGrad);
        value.assign(tf.add(tf.mul(update, -self.learningRate), value));
      });
    });
    self.incrementIterations();
  }
}
