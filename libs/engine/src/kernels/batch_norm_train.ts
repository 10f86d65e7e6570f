/**
 * Batch normalization in training as one kernel each way (native addon, wasm backend). tfjs-layers'
 * BatchNormalization computes tf.moments (Mean, Sub, Square, Mean), FusedBatchNorm, then autodiff
 * through all of them: about 18 full-size elementwise kernels per layer per step, ~half of a ResNet-20
 * training step on wasm. TrainyardBatchNormTrain returns [y, mean, variance] in two passes over x;
 * TrainyardBatchNormTrainGrad returns [dx, dgamma, dbeta] (batch statistics differentiated, as
 * autodiff through moments does) in two passes over dy and x.
 *
 * `FusedBatchNormalization` replaces the BatchNormalization layer class in tfjs' serialization map
 * (same class name, config and weights: saved models, checkpoints and exports are unchanged). In
 * training on wasm with the addon, for channels-last input with gamma and beta, it runs the fused
 * kernels and updates the moving statistics as tfjs-layers does; everywhere else it is tfjs' layer.
 * Results match tfjs' own computation on the cpu backend to float rounding (tested).
 */
import * as tf from '@tensorflow/tfjs';
import { nativeBatchNormTrain, nativeBatchNormTrainGrad, nativeKernels } from './native';
import { TensorInfo, WasmBackend } from './util';

export const BN_TRAIN = 'TrainyardBatchNormTrain';
export const BN_TRAIN_GRAD = 'TrainyardBatchNormTrainGrad';

type Attrs = { epsilon: number };

export const batchNormTrainConfig: tf.KernelConfig = {
  kernelName: BN_TRAIN,
  backendName: 'wasm',
  kernelFunc: ((args: { inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo }; backend: WasmBackend; attrs: Attrs }) => {
    const { x, gamma, beta } = args.inputs;
    return nativeBatchNormTrain(nativeKernels()!, args.backend, x, gamma, beta, args.attrs.epsilon);
  }) as unknown as tf.KernelFunc,
};

export const batchNormTrainGradConfig: tf.KernelConfig = {
  kernelName: BN_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: ((args: { inputs: { dy: TensorInfo; x: TensorInfo; gamma: TensorInfo; mean: TensorInfo; variance: TensorInfo }; backend: WasmBackend; attrs: Attrs }) =>
    nativeBatchNormTrainGrad(nativeKernels()!, args.backend, args.inputs, args.attrs.epsilon)) as unknown as tf.KernelFunc,
};

/** Whether the fused kernels can run for x here (wasm, addon with the kernels, float32, channels last). */
export function fusedBatchNormAvailable(x: tf.Tensor): boolean {
  const addon = nativeKernels();
  return (
    tf.getBackend() === 'wasm' &&
    addon?.batchNormTrain !== undefined &&
    addon.batchNormTrainGrad !== undefined &&
    tf.getKernel(BN_TRAIN, 'wasm') !== undefined &&
    tf.getKernel(BN_TRAIN_GRAD, 'wasm') !== undefined &&
    x.dtype === 'float32' &&
    x.rank >= 2
  );
}

/**
 * y = (x - mean) / sqrt(variance + ε) · gamma + beta with the batch's statistics over every axis but
 * the last; differentiable in x, gamma and beta. Also returns mean and variance (kept: the caller
 * disposes them). Needs fusedBatchNormAvailable(x).
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  let stats: tf.Tensor[] = [];
  const op = tf.customGrad(((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN, { x: xi, gamma: g, beta: b }, { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    save([xi, g, mean, variance]);
    stats = [tf.keep(mean), tf.keep(variance)];
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sm, sv] = saved;
        return tf.engine().runKernel(BN_TRAIN_GRAD, { dy, x: sx, gamma: sg, mean: sm, variance: sv }, { epsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = op(x, gamma, beta) as tf.Tensor;
  return { y, mean: stats[0], variance: stats[1] };
}

type LayerKwargs = Record<string, unknown>;
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: tf.LayerVariable | null;
  beta: tf.LayerVariable | null;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs): tf.Tensor | tf.Tensor[];
}

let registeredLayer = false;

/** Registers FusedBatchNormalization as the class of 'BatchNormalization' layers (idempotent). */
export function registerFusedBatchNormLayer(): void {
  if (registeredLayer) return;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization;
  if (!entry) return;
  const Base = entry[0] as unknown as new (args: unknown) => BatchNormLayer;
  class FusedBatchNormalization extends Base {
    static className = 'BatchNormalization';

    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: LayerKwargs): tf.Tensor | tf.Tensor[] {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const training = kwargs.training === true;
      const axis = this.axis >= 0 ? this.axis : this.axis + x.rank;
      if (!training || axis !== x.rank - 1 || !this.gamma || !this.beta || (Array.isArray(inputs) && inputs.length !== 1) || !fusedBatchNormAvailable(x)) {
        return super.call(inputs, kwargs);
      }
      return tf.tidy(() => {
        const { y, mean, variance } = batchNormTrain(x, this.gamma!.read(), this.beta!.read(), this.epsilon);
        // Moving statistics exactly as tfjs-layers: v <- v - (v - value) * (1 - momentum).
        const update = (variable: tf.LayerVariable, value: tf.Tensor) =>
          tf.tidy(() => {
            const orig = variable.read();
            variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), 1 - this.momentum)));
          });
        update(this.movingMean, mean);
        update(this.movingVariance, variance);
        mean.dispose();
        variance.dispose();
        return y;
      });
    }
  }
  tf.serialization.registerClass(FusedBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
  registeredLayer = true;
}
