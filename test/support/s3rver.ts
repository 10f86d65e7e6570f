import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { S3ArtifactStore } from '../../libs/storage/src/s3.artifact-store';
// s3rver ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');

export interface RunningS3rver {
  /** http://127.0.0.1:<port>; use with forcePathStyle: true. */
  endpoint: string;
  bucket: string;
  region: string;
  /**
   * s3rver knows one access key id, S3RVER; an unknown id gets 403 InvalidAccessKeyId. Any secret
   * works (allowMismatchedSignatures).
   */
  accessKeyId: string;
  secretAccessKey: string;
  /** Closes the server and removes its data folder. */
  stop(): Promise<void>;
}

/**
 * Starts a real S3-protocol server (s3rver) on 127.0.0.1 with a random free port and an empty
 * bucket, its data in a fresh temp folder. For tests of the S3 artifact store and end-to-end runs.
 */
export async function startS3rver(opts: { bucket?: string } = {}): Promise<RunningS3rver> {
  const bucket = opts.bucket ?? 'trainyard-test';
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    resetOnClose: true,
    allowMismatchedSignatures: true,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const address = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop: async () => {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Trainyard's S3 artifact store on a running s3rver. */
export const storeOf = (s3: RunningS3rver) =>
  new S3ArtifactStore({ bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
