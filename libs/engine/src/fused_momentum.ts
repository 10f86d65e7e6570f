/**
 * Momentum (SGD with momentum, optionally Nesterov) with a fused update on the wasm backend.
 *
 * tfjs' MomentumOptimizer spends four or five kernel calls per variable per step (mul, add, mul, add,
 * two assigns, a tidy each): ~40 kernel calls and ~0.5 ms per LeNet-5 step on wasm. Here, on wasm,
 * each variable is updated in one pass over the wasm heap (one native call for all variables when the
 * addon is built, else a JS loop over a Float32Array view). The arithmetic is tfjs' exactly, in
 * float32, one rounding per op and in the same order:
 *   acc' = fround(fround(m * acc) + g)
 *   var' = fround(fround(c * acc') + var)                               (c = fround(-learningRate))
 *   Nesterov: var' = fround(fround(c * fround(g + fround(acc' * m))) + var)
 * so results are bit-identical to tf.train.momentum on the same backend (tested).
 *
 * The new values go to new buffers that are then assigned to the variables, as tfjs does: the wasm
 * backend caches XNNPACK operators (with packed weights) per tensor buffer, so writing a weight in
 * place would leave a stale copy in use; and tensors sharing a buffer (clones, setWeights) stay intact.
 *
 * State is tfjs' own: the class extends tf.MomentumOptimizer and keeps its `accumulations` (named
 * `<var>/momentum`) and iteration count, so getWeights/setWeights (and so checkpoints and resume) work
 * unchanged, and optimizerNameOf() still says 'Momentum'. Other backends take tfjs' own ops.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernels } from './kernels/native';

type NamedGrads = Parameters<tf.MomentumOptimizer['applyGradients']>[0];

interface WasmLike {
  dataIdMap: { get(dataId: object): { memoryOffset: number | null } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  wasm: { HEAPF32: Float32Array; HEAPU8: Uint8Array };
}

/** The view of tfjs' private MomentumOptimizer fields this class relies on. */
interface MomentumInternals {
  accumulations: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  m: tf.Scalar;
  c: tf.Scalar;
  momentum: number;
  learningRate: number;
  useNesterov: boolean;
  incrementIterations(): void;
}

const PER_VAR = 6;
const params = new Int32Array(PER_VAR * 64 + 1);

export class FusedMomentumOptimizer extends tf.MomentumOptimizer {
  /** Steps that took the fused path (for tests and benchmarks). */
  fusedSteps = 0;

  constructor(learningRate: number, momentum: number, useNesterov = false) {
    super(learningRate, momentum, useNesterov);
  }

  override applyGradients(variableGradients: NamedGrads): void {
    const backend = tf.engine().backend as unknown as WasmLike;
    if (tf.getBackend() !== 'wasm' || !backend.dataIdMap || !backend.wasm) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as MomentumInternals;
    const names = Array.isArray(variableGradients) ? variableGradients.map((g) => g.name) : Object.keys(variableGradients);
    const m = Math.fround(self.momentum);
    const c = Math.fround(-self.learningRate);
    const nesterov = !!self.useNesterov;
    const addon = nativeKernels();
    const useNative = !!addon?.momentumUpdate;
    const engine = tf.engine();
    const pending: Array<{ value: tf.Variable; acc: tf.Variable; newValue: tf.TensorInfo; newAcc: tf.TensorInfo }> = [];
    const flush = () => {
      if (pending.length === 0) return;
      if (useNative) {
        params[0] = pending.length;
        addon!.momentumUpdate!(backend.wasm.HEAPU8, params.subarray(0, 1 + PER_VAR * pending.length), m, c, nesterov);
      }
      for (const p of pending) {
        const nv = engine.makeTensorFromTensorInfo(p.newValue);
        const na = engine.makeTensorFromTensorInfo(p.newAcc);
        p.acc.assign(na);
        p.value.assign(nv);
        na.dispose();
        nv.dispose();
      }
      pending.length = 0;
    };
    names.forEach((name, i) => {
      const value = engine.registeredVariables[name];
      if (self.accumulations[i] == null) {
        self.accumulations[i] = {
          originalName: `${name}/momentum`,
          variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
      }
      const accumulation = self.accumulations[i]!.variable;
      const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
      if (gradient == null) return;
      const dv = backend.dataIdMap.get(value.dataId);
      const da = backend.dataIdMap.get(accumulation.dataId);
      const dg = backend.dataIdMap.get(gradient.dataId);
      const fusable =
        value.dtype === 'float32' && accumulation.dtype === 'float32' && gradient.dtype === 'float32' &&
        dv?.memoryOffset != null && da?.memoryOffset != null && dg?.memoryOffset != null &&
        value.size === gradient.size && accumulation.size === value.size;
      if (!fusable) {
        flush();
        this.tfjsUpdate(value, accumulation, gradient);
        return;
      }
      if (useNative && 1 + PER_VAR * (pending.length + 1) > params.length) flush();
      // Allocating may grow the heap: read offsets and views afterwards.
      const newValue = backend.makeOutput(value.shape, 'float32');
      const newAcc = backend.makeOutput(value.shape, 'float32');
      const vo = backend.dataIdMap.get(newValue.dataId)!.memoryOffset!;
      const ao = backend.dataIdMap.get(newAcc.dataId)!.memoryOffset!;
      pending.push({ value, acc: accumulation, newValue, newAcc });
      if (useNative) {
        const o = 1 + PER_VAR * (pending.length - 1);
        params[o] = dv.memoryOffset!;
        params[o + 1] = da.memoryOffset!;
        params[o + 2] = dg.memoryOffset!;
        params[o + 3] = value.size;
        params[o + 4] = vo;
        params[o + 5] = ao;
      } else {
        updateJs(backend.wasm.HEAPF32, dv.memoryOffset! >> 2, da.memoryOffset! >> 2, dg.memoryOffset! >> 2, value.size, vo >> 2, ao >> 2, m, c, nesterov);
      }
    });
    flush();
    this.fusedSteps++;
    self.incrementIterations();
  }

  /** tfjs' own per-variable update (MomentumOptimizer.applyGradients' body). */
  private tfjsUpdate(value: tf.Variable, accumulation: tf.Variable, gradient: tf.Tensor): void {
    const self = this as unknown as MomentumInternals;
    tf.tidy(() => {
      const newAccumulation = tf.add(tf.mul(self.m, accumulation), gradient);
      const newValue = self.useNesterov
        ? tf.add(tf.mul(self.c, tf.add(gradient, tf.mul(newAccumulation, self.m))), value)
        : tf.add(tf.mul(self.c, newAccumulation), value);
      accumulation.assign(newAccumulation);
      value.assign(newValue);
    });
  }
}

/** The fused update over Float32Array indices (JS fallback when the addon is not built). */
export function updateJs(
  h: Float32Array, v: number, a: number, g: number, n: number, vo: number, ao: number, m: number, c: number, nesterov: boolean,
): void {
  const fr = Math.fround;
  if (nesterov) {
    for (let i = 0; i < n; i++) {
      const gi = h[g + i];
      const acc = fr(fr(m * h[a + i]) + gi);
      h[ao + i] = acc;
      h[vo + i] = fr(c * fr(gi + fr(acc * m))) + h[v + i];
    }
  } else {
    for (let i = 0; i < n; i++) {
      const acc = fr(fr(m * h[a + i]) + h[g + i]);
      h[ao + i] = acc;
      h[vo + i] = fr(c * acc) + h[v + i];
    }
  }
}
