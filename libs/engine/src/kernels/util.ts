/**
 * Helpers for kernels that compose the wasm backend's own kernels. Inside a kernelFunc the engine's
 * ops must not be used (they would record on the tape and allocate engine tensors); instead we call
 * the registered wasm kernel functions directly on TensorInfo and free intermediates ourselves.
 */
import * as tf from '@tensorflow/tfjs';

export type TensorInfo = tf.TensorInfo;
// The wasm backend class is not exported in a typed way we can depend on; the kernels only need
// these members of it.
export interface WasmBackend {
  disposeData(dataId: object, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): TensorInfo;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array; HEAPF32: Float32Array; HEAP32: Int32Array; _malloc(n: number): number; _free(p: number): void };
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Calls the wasm backend's own implementation of a kernel. */
export function callWasm(
  name: string,
  backend: WasmBackend,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown> = {},
): TensorInfo {
  const k = original(name);
  return k({ inputs, backend, attrs } as never) as TensorInfo;
}

const originals = new Map<string, tf.KernelFunc>();

/**
 * The wasm backend's own kernelFunc for `name`, captured the first time it is asked for (before our
 * overrides replace any of them), so overrides can fall back to or build on the original.
 */
export function original(name: string): tf.KernelFunc {
  let k = originals.get(name);
  if (!k) {
    const cfg = tf.getKernel(name, 'wasm');
    if (!cfg) throw new Error(`wasm kernel ${name} is not registered`);
    k = cfg.kernelFunc;
    originals.set(name, k);
  }
  return k;
}

/** Frees intermediates (one reference each; undefined entries are skipped). Never pass the output. */
export function free(backend: WasmBackend, ...ts: (TensorInfo | undefined)[]): void {
  for (const t of ts) if (t) backend.disposeData(t.dataId);
}

/** A Float32Array view of a tensor's data in the wasm heap (valid until the heap grows). */
export function f32(backend: WasmBackend, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/**
 * The Conv2DInfo of the forward convolution behind a gradient kernel (Conv2DBackpropInput/Filter):
 * dilation 1, NHWC only (anything else throws, naming `kernel`).
 */
export function backpropConvInfo(
  kernel: string,
  xShape: number[],
  filterShape: number[],
  attrs: Pick<tf.Conv2DBackpropInputAttrs, 'strides' | 'pad' | 'dataFormat' | 'dimRoundingMode'>,
): tf.backend_util.Conv2DInfo {
  const { strides, pad, dataFormat, dimRoundingMode } = attrs;
  const fmt = tf.backend_util.convertConv2DDataFormat(dataFormat);
  if (fmt !== 'channelsLast') throw new Error(`wasm ${kernel} supports only NHWC, got ${dataFormat}`);
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    fmt,
  );
}
