/**
 * One inference interface over two runtimes: ONNX Runtime (onnxruntime-node, for an exported model)
 * and TensorFlow.js (any LayersModel). Serving picks ONNX where an export exists, else tfjs; callers
 * feed the same NHWC float32 batch to either and get the model's raw output (logits for the zoo).
 */
import * as tf from '@tensorflow/tfjs';
import { badInput } from '@trainyard/common';
import type * as Ort from 'onnxruntime-node';

export type RuntimeKind = 'onnx' | 'tfjs';

export interface InferenceRuntime {
  readonly kind: RuntimeKind;
  readonly inputName: string;
  readonly outputName: string;
  /** The model's input shape, batch first (null where any size goes). */
  readonly inputShape: readonly (number | null)[];
  /**
   * Runs one batch: `x` row-major with `shape` ([n, ...inputShape without the batch]). Resolves to
   * the output, row-major [n, ...]. Concurrent calls are allowed.
   */
  run(x: Float32Array, shape: number[]): Promise<Float32Array>;
  /** Frees the session or model. The runtime must not be used afterwards. */
  dispose(): Promise<void>;
}

export interface OnnxRuntimeOptions {
  /**
   * Threads one inference may use (ONNX Runtime's intra-op pool). Default 1: serving runs many
   * requests side by side, and one thread is the best per-core throughput for small models.
   */
  intraOpThreads?: number;
  /** ONNX Runtime's inter-op pool (parallel branches of the graph). Default 1. */
  interOpThreads?: number;
}

let ortModule: typeof Ort | undefined;
/** onnxruntime-node loads its native library on first use, not when the engine is imported. */
function ort(): typeof Ort {
  ortModule ??= require('onnxruntime-node') as typeof Ort;
  return ortModule;
}

/** An ONNX model (the bytes of a `.onnx` file) in an ONNX Runtime CPU session. */
export async function loadOnnxRuntime(bytes: Uint8Array, options: OnnxRuntimeOptions = {}): Promise<InferenceRuntime> {
  const intra = options.intraOpThreads ?? 1;
  const inter = options.interOpThreads ?? 1;
  for (const [name, v] of [['intraOpThreads', intra], ['interOpThreads', inter]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 256) throw badInput(`${name} must be an integer from 1 to 256, got ${v}`);
  }
  const { InferenceSession, Tensor } = ort();
  let session: Ort.InferenceSession;
  try {
    session = await InferenceSession.create(bytes, {
      intraOpNumThreads: intra,
      interOpNumThreads: inter,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
  } catch (e) {
    throw badInput(`not a loadable ONNX model: ${String((e as Error).message ?? e).slice(0, 200)}`);
  }
  if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
    await session.release();
    throw badInput(`ONNX models with one input and one output only (this one has ${session.inputNames.length} and ${session.outputNames.length})`);
  }
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const meta = session.inputMetadata?.[0];
  const inputShape = meta && meta.isTensor ? meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : null)) : [];
  let disposed = false;
  return {
    kind: 'onnx',
    inputName,
    outputName,
    inputShape,
    async run(x, shape) {
      if (disposed) throw new Error('ONNX runtime used after dispose()');
      checkBatch(x, shape, inputShape);
      const results = await session.run({ [inputName]: new Tensor('float32', x, shape) });
      return results[outputName].data as Float32Array;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await session.release();
    },
  };
}

/** The same interface over a tfjs LayersModel (its own backend, whatever initBackend chose). */
export function tfjsRuntime(model: tf.LayersModel, options: { disposeModel?: boolean } = {}): InferenceRuntime {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw badInput(`models with one input and one output only (this one has ${model.inputs.length} and ${model.outputs.length})`);
  }
  const inputShape = model.inputs[0].shape;
  let disposed = false;
  return {
    kind: 'tfjs',
    inputName: model.inputNames[0],
    outputName: model.outputNames[0],
    inputShape,
    async run(x, shape) {
      if (disposed) throw new Error('tfjs runtime used after dispose()');
      checkBatch(x, shape, inputShape);
      const y = tf.tidy(() => model.predict(tf.tensor(x, shape, 'float32')) as tf.Tensor);
      try {
        return (await y.data()) as Float32Array;
      } finally {
        y.dispose();
      }
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (options.disposeModel ?? true) model.dispose();
    },
  };
}

/** A batch must be [n >= 1, ...the model's dims], with exactly that many values. */
function checkBatch(x: Float32Array, shape: number[], modelShape: readonly (number | null)[]): void {
  if (!(x instanceof Float32Array)) throw badInput('input must be a Float32Array');
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw badInput(`shape must be a list of non-negative integers, got ${JSON.stringify(shape).slice(0, 64)}`);
  }
  if (shape[0] < 1) throw badInput('a batch needs at least one sample');
  if (modelShape.length > 0) {
    const ok = shape.length === modelShape.length && modelShape.every((d, i) => i === 0 || d == null || d === shape[i]);
    if (!ok) throw badInput(`input shape [${shape}] does not fit the model's [${modelShape.map((d) => d ?? 'n')}]`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (x.length !== n) throw badInput(`input has ${x.length} values, shape [${shape}] needs ${n}`);
}
