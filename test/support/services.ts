import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFreshDatabase } from '../../libs/db/src/testing/fresh-database';
import Redis from 'ioredis';
import { startS3rver } from './s3rver';

/** The real services the end-to-end tests use: Postgres (see TEST_POSTGRES_URL) and Redis on their standard ports. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A queue prefix of its own, so test files never see each other's jobs; clear() deletes its keys. */
export function freshQueuePrefix(): { prefix: string; clear(): Promise<void> } {
  const prefix = `ty_e2e_${randomBytes(6).toString('hex')}`;
  return {
    prefix,
    clear: async () => {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    },
  };
}

/**
 * Real Postgres (a fresh database), Redis (a fresh prefix) and an s3rver on loopback, as the env
 * vars a Trainyard process reads. teardown() removes all three.
 */
export async function realServices(): Promise<{ env: Record<string, string>; teardown(): Promise<void> }> {
  const db = await createFreshDatabase('trainyard_e2e');
  const queue = freshQueuePrefix();
  const s3 = await startS3rver();
  return {
    env: {
      TRAINYARD_DATA_DIR: path.join(os.tmpdir(), `ty-e2e-${randomBytes(4).toString('hex')}`),
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: queue.prefix,
      S3_BUCKET: s3.bucket,
      S3_ENDPOINT: s3.endpoint,
      S3_CREATE_BUCKET: 'true',
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      WORKER_POLL_INTERVAL_MS: '200',
      // Scoring results show on a 200 ms grid (not the default 2 s), so tests waiting for SCORED stay quick.
      SCORING_TIME_QUANTUM_MS: '200',
    },
    teardown: async () => {
      for (const step of [s3.stop, queue.clear, db.drop]) await step().catch((e: unknown) => console.error(e));
    },
  };
}
