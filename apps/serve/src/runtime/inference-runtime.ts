/**
 * What serving needs from a model runtime: raw model outputs (logits) for a batch. The onnx work
 * (libs/engine/src/onnx) exposes the same shape for onnxruntime-node; serving picks a loader per
 * checkpoint (ONNX where an export exists, else TensorFlow.js) and never sees which one runs.
 */
export interface InferenceRuntime {
  /** 'onnx' (onnxruntime-node) or 'tfjs' (TensorFlow.js on the best backend that loads). */
  readonly kind: RuntimeKind;
  /** Model outputs for `x` of `shape` ([n, ...sample]): row-major [n, outputs]. */
  run(x: Float32Array, shape: number[]): Promise<Float32Array>;
  dispose(): void;
}

export type RuntimeKind = 'onnx' | 'tfjs';
