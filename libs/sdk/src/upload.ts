import { createReadStream, promises as fsp } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { errorFromResponse } from './errors';
import { networkError } from './transport';

/** Something to upload: a file on disk (streamed, never read whole), or bytes in memory. */
export type UploadSource = string | { path: string; name?: string } | { data: Uint8Array; name: string };

export interface ResolvedSource {
  name: string;
  size: number;
  /** A fresh stream of bytes [start, end) of the source. */
  open(start?: number, end?: number): Readable;
}

export async function resolveSource(src: UploadSource): Promise<ResolvedSource> {
  if (typeof src === 'string' || 'path' in src) {
    const path = typeof src === 'string' ? src : src.path;
    const stat = await fsp.stat(path);
    if (!stat.isFile()) throw new Error(`${path} is not a file`);
    return {
      name: (typeof src === 'string' ? undefined : src.name) ?? basename(path),
      size: stat.size,
      open: (start = 0, end = stat.size) => (end <= start ? Readable.from([]) : createReadStream(path, { start, end: end - 1, highWaterMark: 64 * 1024 })),
    };
  }
  const data = src.data;
  return { name: src.name, size: data.byteLength, open: (start = 0, end = data.byteLength) => Readable.from([Buffer.from(data.buffer, data.byteOffset + start, end - start)]) };
}

export interface PutResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/**
 * Streams one PUT with a Content-Length (so the server knows the size before the last byte), calling
 * onBytes as chunks leave for the socket. Non-2xx answers become coded errors with the body.
 */
export function streamPut(
  url: string,
  headers: Record<string, string>,
  body: Readable,
  size: number,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<PutResult> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise<PutResult>((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      body.destroy();
      reject(e);
    };
    const req = mod.request(u, { method: 'PUT', headers: { ...headers, 'content-length': String(size) }, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e) => fail(networkError(url, e)));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON (S3 answers XML) */
        }
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const retry = res.headers['retry-after'];
          return fail(errorFromResponse(status, parsed, Array.isArray(retry) ? retry[0] : retry, `PUT ${u.pathname}`));
        }
        settled = true;
        resolve({ status, headers: res.headers, body: parsed });
      });
    });
    // A server that refuses a body midway answers, then closes: let its answer win over EPIPE/ECONNRESET.
    req.on('error', (e) => setTimeout(() => fail(networkError(url, e)), 300));
    body.on('error', fail);
    body.on('data', (chunk: Buffer) => onBytes(chunk.length));
    body.pipe(req);
  });
}
