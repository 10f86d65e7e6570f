import { badInput } from './errors';

/**
 * What services without the engine (the API) may read of a checkpoint: its JSON header. The layout
 * is the engine's (libs/engine/src/checkpoint.ts): "TRNYCKPT", u32 version, u32 header length, JSON.
 */
export interface CheckpointHeaderSummary {
  step: number;
  epoch: number;
  modelSpec: { name: string; inputShape: number[]; numClasses: number; [k: string]: unknown };
  optimizerSpec: { name: string; [k: string]: unknown };
  tensors: Array<{ name: string; group: string; shape: number[] }>;
}

export function readCheckpointHeader(bytes: Uint8Array): CheckpointHeaderSummary {
  if (bytes.byteLength < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== 'TRNYCKPT') throw badInput('not a Trainyard checkpoint');
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
  if (16 + length > bytes.byteLength) throw badInput('checkpoint header is truncated');
  return JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length))) as CheckpointHeaderSummary;
}

/** Layers holding weights, as the header's model tensors name them ('fc3/kernel' -> 'fc3'), in order. */
export function checkpointLayers(header: CheckpointHeaderSummary): string[] {
  return [...new Set(header.tensors.filter((t) => t.group === 'model').map((t) => t.name.split('/')[0]))];
}
