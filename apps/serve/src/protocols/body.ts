import { badInput, ErrorCode, rawJsonDepth, TrainyardError } from '@trainyard/common';
import type { Request } from 'express';

/** JSON bodies nested deeper than this are refused before anything walks them. */
export const MAX_JSON_DEPTH = 32;

const tooLarge = (limit: number) => new TrainyardError(ErrorCode.PAYLOAD_TOO_LARGE, `request body is larger than ${limit} bytes`, { limit });

/** The raw body, up to `limit` bytes (the serve routes read their own bodies; nothing parses them first). */
export function readBody(req: Request, limit: number): Promise<Buffer> {
  if (Buffer.isBuffer(req.body)) return Promise.resolve(req.body);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => !failed && resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', (e) => !failed && reject(e));
  });
}

/** True when the raw JSON bytes nest deeper than `max` (the scan stops there; strings are skipped). */
export const jsonDepthExceeds = (bytes: Buffer, max: number): boolean => rawJsonDepth(bytes, max) > max;

/** Parses a JSON body after checking it is there, and not nested too deep to walk. */
export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) throw badInput('the request body is empty; send a JSON object');
  if (jsonDepthExceeds(bytes, MAX_JSON_DEPTH)) throw badInput(`the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw badInput(`the request body is not valid JSON (${(e as Error).message.slice(0, 80)})`);
  }
}

/** At most `n` characters of a value, for error messages (never the whole body). */
export function preview(value: unknown, n = 40): string {
  let s: string;
  try {
    s = typeof value === 'string' ? JSON.stringify(value.slice(0, n + 1)) : (JSON.stringify(value) ?? String(value));
  } catch {
    s = String(value);
  }
  return s.length > n ? `${s.slice(0, n)}...` : s;
}

export function isImageType(contentType: string | undefined): boolean {
  return !!contentType && /^image\//i.test(contentType);
}

export function isMultipart(contentType: string | undefined): boolean {
  return !!contentType && /^multipart\/form-data/i.test(contentType);
}
