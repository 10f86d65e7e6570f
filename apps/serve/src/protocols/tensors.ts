import { badInput } from '@trainyard/common';
import type { SampleInput } from '../inference/inference.service';
import { fromBase64 } from '../inference/images';
import { preview } from './body';

export type NumericType = 'FP32' | 'FP64' | 'UINT8' | 'INT32' | 'INT64';

/**
 * Flattens nested arrays of numbers into `out` (row-major), counting every value but storing only
 * what fits. Callers check the depth of the body before anything gets here. Returns the count.
 */
export function flattenNumbers(value: unknown, out: Float32Array, where: string, dtype: NumericType = 'FP32', start = 0): number {
  // The usual body (finite numbers, nested arrays) in one tight pass; anything else takes the walk
  // below, which names the first bad element exactly.
  const fast = fillNumbers(value, out, start, dtype, 0);
  if (fast >= 0) return fast - start;
  let n = start;
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) walk(v[i], `${path}[${i}]`);
      return;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw badInput(`${path} must be a finite number or an array of them, got ${preview(v)}`);
    }
    if (dtype === 'UINT8' && !(Number.isInteger(v) && v >= 0 && v <= 255)) throw badInput(`${path} must be an integer 0-255 for UINT8, got ${preview(v)}`);
    if ((dtype === 'INT32' || dtype === 'INT64') && !Number.isInteger(v)) throw badInput(`${path} must be an integer for ${dtype}, got ${preview(v)}`);
    if (n < out.length) out[n] = v;
    n++;
  };
  walk(value, where);
  return n - start;
}

/** Writes nested arrays of finite numbers of `dtype` into `out` from `n`; -1 at the first anything else. */
function fillNumbers(v: unknown, out: Float32Array, n: number, dtype: NumericType, depth: number): number {
  if (!Array.isArray(v) || depth > 64) return -1;
  const integer = dtype !== 'FP32' && dtype !== 'FP64';
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x === 'number') {
      if (x - x !== 0) return -1; // NaN or an infinity
      if (integer && (!Number.isInteger(x) || (dtype === 'UINT8' && (x < 0 || x > 255)))) return -1;
      if (n < out.length) out[n] = x;
      n++;
    } else {
      n = fillNumbers(x, out, n, dtype, depth + 1);
      if (n < 0) return -1;
    }
  }
  return n;
}

/** `{"b64": "..."}`, TF Serving's way of sending binary values in JSON. */
export function isB64(value: unknown): value is { b64: string } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'b64' in value;
}

/** One instance value: an encoded image ({"b64"}) or nested numbers of one raw sample. */
export function sampleOf(value: unknown, rawSize: number, where: string): SampleInput {
  if (isB64(value)) return { kind: 'image', bytes: fromBase64(value.b64, `${where}.b64`), where };
  if (!Array.isArray(value)) {
    throw badInput(`${where} must be an array of numbers (a raw sample) or {"b64": "<image>"}, got ${preview(value)}`);
  }
  const values = new Float32Array(rawSize);
  const count = flattenNumbers(value, values, where);
  // A wrong count is reported by the inference service with the model's shape.
  return { kind: 'values', values: count === rawSize ? values : new Float32Array(count), where };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
