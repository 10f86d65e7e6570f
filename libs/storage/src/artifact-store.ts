import type { Readable } from 'node:stream';

/** One stored object. */
export interface ArtifactInfo {
  key: string;
  sizeBytes: number;
}

export interface PutOptions {
  contentType?: string;
}

/**
 * Where bytes live: uploaded dataset files, checkpoints, exported models. Keys are '/'-separated
 * relative paths built by `keys` (never by hand). Every put is atomic: a reader sees the old object,
 * the whole new one, or nothing; a put whose body stream fails leaves no object behind. Bodies are
 * streamed, never held whole in memory (except by getBytes, meant for small things).
 */
export interface ArtifactStore {
  /** Creates what the store needs (a bucket, a folder). Idempotent. */
  init(): Promise<void>;
  put(key: string, body: Readable | Uint8Array, opts?: PutOptions): Promise<{ sizeBytes: number }>;
  /** A stream of the object's bytes; NOT_FOUND when there is none. */
  get(key: string): Promise<Readable>;
  /** The whole object in memory (checkpoints, small metadata); NOT_FOUND when there is none. */
  getBytes(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  /** Removes the object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Objects whose key starts with `prefix` (a plain string prefix, as in S3), sorted by key. */
  list(prefix: string): Promise<ArtifactInfo[]>;
  /** A human-readable location for logs: s3://bucket or a folder. */
  describe(): string;
  /** Present on stores a client can upload to directly (S3): presigned multipart uploads. */
  readonly multipart?: MultipartUploads;
}

/** Presigned multipart uploads: a client PUTs each part to its URL, straight to the bucket. */
export interface MultipartUploads {
  /** Starts an upload to `key` and presigns `partCount` part URLs valid for `expiresInS` seconds. */
  begin(key: string, partCount: number, expiresInS: number): Promise<{ uploadId: string; urls: string[] }>;
  /** Assembles the parts (their ETags as the client got them); the object appears whole or not at all. */
  complete(key: string, uploadId: string, parts: Array<{ partNumber: number; etag: string }>): Promise<void>;
  abort(key: string, uploadId: string): Promise<void>;
}

/** Nest injection token for the configured ArtifactStore. */
export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');

/** Throws unless `key` is a relative '/'-separated path without empty, '.' or '..' segments. */
export function assertValidKey(key: string): void {
  const bad = (why: string) => new Error(`invalid artifact key ${JSON.stringify(key)}: ${why}`);
  if (typeof key !== 'string' || key.length === 0) throw bad('empty');
  if (key.length > 1024) throw bad('longer than 1024 characters');
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) throw bad('absolute paths are not keys');
  if (key.includes('\\') || key.includes('\0')) throw bad('backslashes and NUL are not allowed');
  for (const seg of key.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') throw bad(`segment ${JSON.stringify(seg)} is not allowed`);
  }
}
