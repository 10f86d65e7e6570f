/**
 * Checkpoints: one self-describing binary holding model weights and optimizer state.
 *
 * Layout (all integers little-endian):
 *   bytes 0-7    magic "TRNYCKPT"
 *   bytes 8-11   format version (uint32, currently 1)
 *   bytes 12-15  header length H (uint32)
 *   bytes 16..   header: UTF-8 JSON (CheckpointHeader), then zero padding to a multiple of 8
 *   then         data: each tensor's raw little-endian values at its manifest offset (relative to the
 *                start of the data section), float32 or int32; its CRC-32 is in the header.
 */
import * as tf from '@tensorflow/tfjs';
import { TrainyardError, ErrorCode } from '@trainyard/common';
import { ModelSpec, buildModel } from './models';
import { OptimizerSpec, canonicalOptimizerName, optimizerNameOf } from './optimizers';

export const CHECKPOINT_MAGIC = 'TRNYCKPT';
export const CHECKPOINT_VERSION = 1;

/** Where training stood when the checkpoint was taken. */
export interface CheckpointPosition {
  /** Global step (1-based count of optimizer steps taken so far). */
  step: number;
  /** 0-based epoch the last step belongs to. */
  epoch: number;
  /** Batches of that epoch consumed so far (1..batchesPerEpoch). */
  stepInEpoch: number;
}

export interface CheckpointInfo extends CheckpointPosition {
  modelSpec: ModelSpec;
  optimizerSpec: OptimizerSpec;
  /**
   * Run-control state at this point (EarlyStopping's best and wait, TimeBudget's elapsed time,
   * ModelCheckpoint's best), by callback stateKey, so a resumed run continues them. Absent in
   * checkpoints written before it existed: those callbacks then start fresh.
   */
  callbacks?: Record<string, unknown>;
}

export interface TensorEntry {
  name: string;
  /** 'optimizerExtra': state tfjs' getWeights() omits (Adam's beta powers), so resume is bit-exact. */
  group: 'model' | 'optimizer' | 'optimizerExtra';
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Byte offset inside the data section. */
  offset: number;
  byteLength: number;
}

export interface CheckpointHeader extends CheckpointInfo {
  format: 'trainyard-checkpoint';
  version: number;
  createdAt: string;
  tensors: TensorEntry[];
  dataByteLength: number;
  dataCrc32: number;
}

export interface NamedArray {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
}

/** A decoded checkpoint: plain typed arrays (no tensors, nothing to dispose). */
export interface LoadedCheckpoint {
  header: CheckpointHeader;
  /** In model.weights order. */
  model: NamedArray[];
  /** In optimizer.getWeights() order; the first is the iteration count 'iter'. */
  optimizer: NamedArray[];
  /** Extra optimizer variables by name (Adam: accBeta1, accBeta2). */
  optimizerExtra: NamedArray[];
}

export class CheckpointFormatError extends TrainyardError {
  constructor(message: string) {
    super(ErrorCode.BAD_USER_INPUT, `invalid checkpoint: ${message}`);
    this.name = 'CheckpointFormatError';
  }
}

/** Serializes model weights and optimizer state (iteration count included). */
export async function saveCheckpoint(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  info: CheckpointInfo,
): Promise<Uint8Array> {
  const arrays: Array<NamedArray & { group: TensorEntry['group'] }> = [];
  for (const w of model.weights) {
    const t = w.read();
    arrays.push({ group: 'model', name: w.originalName, shape: t.shape, ...typedData(t) });
  }
  const optWeights = await optimizer.getWeights();
  optWeights.forEach((nt, i) => {
    arrays.push({ group: 'optimizer', name: nt.name, shape: nt.tensor.shape, ...typedData(nt.tensor) });
    // getWeights() makes a fresh scalar for 'iter'; the rest are the optimizer's own variables.
    if (i === 0) nt.tensor.dispose();
  });
  for (const [name, v] of Object.entries(extraState(optimizer))) {
    arrays.push({ group: 'optimizerExtra', name, shape: v.shape, ...typedData(v) });
  }

  let offset = 0;
  const tensors: TensorEntry[] = arrays.map((a) => {
    const entry: TensorEntry = {
      name: a.name,
      group: a.group,
      shape: a.shape,
      dtype: a.dtype,
      offset,
      byteLength: a.data.byteLength,
    };
    offset += a.data.byteLength;
    return entry;
  });
  const data = new Uint8Array(offset);
  arrays.forEach((a, i) => data.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), tensors[i].offset));

  const header: CheckpointHeader = {
    format: 'trainyard-checkpoint',
    version: CHECKPOINT_VERSION,
    createdAt: new Date().toISOString(),
    step: info.step,
    epoch: info.epoch,
    stepInEpoch: info.stepInEpoch,
    modelSpec: info.modelSpec,
    optimizerSpec: info.optimizerSpec,
    ...(info.callbacks && Object.keys(info.callbacks).length ? { callbacks: info.callbacks } : {}),
    tensors,
    dataByteLength: data.byteLength,
    dataCrc32: crc32(data),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align8(16 + json.byteLength);
  const out = new Uint8Array(dataStart + data.byteLength);
  out.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, json.byteLength, true);
  out.set(json, 16);
  out.set(data, dataStart);
  return out;
}

/** Decodes and verifies (magic, version, lengths, CRC) checkpoint bytes. */
export function loadCheckpoint(bytes: Uint8Array): LoadedCheckpoint {
  if (!(bytes instanceof Uint8Array)) throw new CheckpointFormatError('expected a Uint8Array');
  if (bytes.byteLength < 16) throw new CheckpointFormatError(`only ${bytes.byteLength} bytes, shorter than the 16-byte preamble`);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== CHECKPOINT_MAGIC) throw new CheckpointFormatError('wrong magic bytes (not a Trainyard checkpoint)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) {
    throw new CheckpointFormatError(`format version ${version} is not supported (this build reads ${CHECKPOINT_VERSION})`);
  }
  const headerLength = view.getUint32(12, true);
  if (headerLength > CHECKPOINT_LIMITS.maxHeaderBytes) {
    throw new CheckpointFormatError(`header of ${headerLength} bytes is over the ${CHECKPOINT_LIMITS.maxHeaderBytes}-byte limit`);
  }
  if (16 + headerLength > bytes.byteLength) {
    throw new CheckpointFormatError(`truncated: header needs ${headerLength} bytes, file has ${bytes.byteLength - 16}`);
  }
  let header: CheckpointHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(16, 16 + headerLength)));
  } catch (e) {
    throw new CheckpointFormatError(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header?.format !== 'trainyard-checkpoint' || !Array.isArray(header.tensors)) {
    throw new CheckpointFormatError('header lacks the format tag or the tensor manifest');
  }
  checkManifest(header);
  const dataStart = align8(16 + headerLength);
  const expected = dataStart + header.dataByteLength;
  if (bytes.byteLength !== expected) {
    const what = bytes.byteLength < expected ? 'truncated' : 'trailing bytes';
    throw new CheckpointFormatError(`${what}: expected ${expected} bytes, got ${bytes.byteLength}`);
  }
  const data = bytes.subarray(dataStart, expected);
  if (crc32(data) !== header.dataCrc32) throw new CheckpointFormatError('data checksum mismatch (corrupted bytes)');

  const model: NamedArray[] = [];
  const optimizer: NamedArray[] = [];
  const optimizerExtra: NamedArray[] = [];
  const groups = { model, optimizer, optimizerExtra };
  for (const e of header.tensors) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    if (e.byteLength !== count * 4 || e.offset < 0 || e.offset + e.byteLength > data.byteLength) {
      throw new CheckpointFormatError(`tensor ${e.name}: manifest does not fit the data section`);
    }
    // Copy into an aligned buffer (the input may sit at any byte offset).
    const raw = data.slice(e.offset, e.offset + e.byteLength).buffer;
    const arr = e.dtype === 'int32' ? new Int32Array(raw) : e.dtype === 'float32' ? new Float32Array(raw) : undefined;
    if (!arr) throw new CheckpointFormatError(`tensor ${e.name}: unsupported dtype ${e.dtype}`);
    const group = Object.hasOwn(groups, e.group) ? groups[e.group] : undefined;
    if (!group) throw new CheckpointFormatError(`tensor ${e.name}: unknown group ${e.group}`);
    group.push({ name: e.name, shape: e.shape, dtype: e.dtype, data: arr });
  }
  return { header, model, optimizer, optimizerExtra };
}

/** Bounds on what a checkpoint's header may declare, checked before anything is allocated from it. */
export const CHECKPOINT_LIMITS = {
  maxHeaderBytes: 1 << 20,
  maxTensors: 4096,
  maxRank: 8,
  maxNameLength: 256,
  /** Elements in one tensor (1 GiB of float32). */
  maxElements: 1 << 28,
} as const;

/**
 * The manifest's shape: counts, names, groups, dtypes, shapes (small non-negative integers whose
 * product fits), offsets and lengths inside the data section. A hostile header fails here, with a
 * reason, instead of making the loader allocate or index by what it declares.
 */
function checkManifest(header: CheckpointHeader): void {
  const L = CHECKPOINT_LIMITS;
  const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!isCount(header.dataByteLength)) throw new CheckpointFormatError('dataByteLength is not a non-negative integer');
  // The model is built from the header before its weights are checked: bound what building allocates.
  const m = header.modelSpec as Partial<ModelSpec> | undefined;
  const dimOk = (n: unknown, max: number) => isCount(n) && n >= 1 && n <= max;
  if (!m || typeof m !== 'object' || !dimOk(m.numClasses, 10_000) || !Array.isArray(m.inputShape) || m.inputShape.length !== 3 || !m.inputShape.every((d) => dimOk(d, 4096))) {
    throw new CheckpointFormatError('modelSpec missing, or its numClasses (1-10000) or inputShape (3 dims of 1-4096) out of range');
  }
  if (header.tensors.length > L.maxTensors) throw new CheckpointFormatError(`${header.tensors.length} tensors; at most ${L.maxTensors}`);
  header.tensors.forEach((e: Partial<TensorEntry> | null, i) => {
    if (!e || typeof e !== 'object') throw new CheckpointFormatError(`tensor ${i}: not an object`);
    if (typeof e.name !== 'string' || e.name.length > L.maxNameLength) throw new CheckpointFormatError(`tensor ${i}: name missing or over ${L.maxNameLength} characters`);
    if (e.group !== 'model' && e.group !== 'optimizer' && e.group !== 'optimizerExtra') throw new CheckpointFormatError(`tensor ${i}: unknown group`);
    if (e.dtype !== 'float32' && e.dtype !== 'int32') throw new CheckpointFormatError(`tensor ${i}: unsupported dtype`);
    if (!Array.isArray(e.shape) || e.shape.length > L.maxRank || !e.shape.every(isCount)) {
      throw new CheckpointFormatError(`tensor ${i}: shape must be at most ${L.maxRank} non-negative integers`);
    }
    let elements = 1;
    for (const d of e.shape) {
      elements *= d;
      if (elements > L.maxElements) throw new CheckpointFormatError(`tensor ${i}: more than ${L.maxElements} elements`);
    }
    if (!isCount(e.offset) || !isCount(e.byteLength) || e.byteLength !== elements * 4 || e.offset + e.byteLength > header.dataByteLength) {
      throw new CheckpointFormatError(`tensor ${i}: offset and length do not fit the data section`);
    }
  });
}

/** Loads the checkpoint's weights into `model` (same architecture: count and shapes are checked). */
export function restoreModelWeights(model: tf.LayersModel, ckpt: LoadedCheckpoint): void {
  const weights = model.weights;
  if (weights.length !== ckpt.model.length) {
    throw new CheckpointFormatError(`model has ${weights.length} weight tensors, checkpoint has ${ckpt.model.length}`);
  }
  weights.forEach((w, i) => {
    const saved = ckpt.model[i];
    if (saved.shape.join('x') !== w.shape.join('x')) {
      throw new CheckpointFormatError(`weight ${i} (${w.originalName}): shape [${w.shape}] vs saved [${saved.shape}] (${saved.name})`);
    }
  });
  const tensors = ckpt.model.map((a) => tf.tensor(a.data, a.shape, a.dtype));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/**
 * Loads weights into `model` and state (iteration count, slots) into `optimizer`, which must be of the
 * checkpoint's optimizer kind. After this, a training step continues exactly where the checkpoint was.
 */
export async function restore(model: tf.LayersModel, optimizer: tf.Optimizer, ckpt: LoadedCheckpoint): Promise<void> {
  const kind = optimizerNameOf(optimizer);
  if (kind !== canonicalOptimizerName(ckpt.header.optimizerSpec.name)) {
    throw new CheckpointFormatError(`optimizer is ${kind}, checkpoint holds ${ckpt.header.optimizerSpec.name} state`);
  }
  restoreModelWeights(model, ckpt);
  const named = ckpt.optimizer.map((a) => ({ name: a.name, tensor: tf.tensor(a.data, a.shape, a.dtype) }));
  await optimizer.setWeights(named);
  // setWeights wraps each tensor in a variable that shares its data; dropping ours keeps those alive.
  tf.dispose(named.map((n) => n.tensor));
  // Adam's setWeights recomputes beta^t with pow(), which differs in the last bits from the running
  // product it keeps while training; put the saved values back so a resumed run is bit-exact.
  const extra = extraState(optimizer);
  for (const saved of ckpt.optimizerExtra) {
    const v = extra[saved.name];
    if (v) tf.tidy(() => v.assign(tf.tensor(saved.data, saved.shape, saved.dtype)));
  }
}

/** Optimizer variables that getWeights() leaves out. Reaches into tfjs' AdamOptimizer fields. */
function extraState(optimizer: tf.Optimizer): Record<string, tf.Variable> {
  if (!(optimizer instanceof tf.AdamOptimizer)) return {};
  const adam = optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  return adam.accBeta1 && adam.accBeta2 ? { accBeta1: adam.accBeta1, accBeta2: adam.accBeta2 } : {};
}

/** Builds the checkpoint's model with its weights, for serving (no optimizer state). */
export function modelFromCheckpoint(bytes: Uint8Array | LoadedCheckpoint): tf.LayersModel {
  const ckpt = bytes instanceof Uint8Array ? loadCheckpoint(bytes) : bytes;
  const model = buildModel(ckpt.header.modelSpec);
  restoreModelWeights(model, ckpt);
  return model;
}

function typedData(t: tf.Tensor): { dtype: 'float32' | 'int32'; data: Float32Array | Int32Array } {
  if (t.dtype === 'int32') return { dtype: 'int32', data: t.dataSync() as Int32Array };
  if (t.dtype === 'float32') return { dtype: 'float32', data: t.dataSync() as Float32Array };
  throw new Error(`cannot checkpoint a ${t.dtype} tensor`);
}

const align8 = (n: number) => (n + 7) & ~7;

let crcTable: Uint32Array | undefined;
/** CRC-32 (IEEE 802.3, as in zip/PNG). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
