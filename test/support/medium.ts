/**
 * The medium tier's real services, each set up in one call. Every helper puts its undo step into the
 * test file's `teardown` list, at the front, except the database's drop, which goes last: run the
 * list in order in afterAll and everything closes before the database goes.
 */
import { Queue } from 'bullmq';
import { migrate, PrismaService } from '@trainyard/db';
import { S3ArtifactStore } from '@trainyard/storage';
import { createFreshDatabase } from '../../libs/db/src/testing/fresh-database';
import { BullMqJobQueue, redisConnection } from '../../libs/queue/src/bullmq.queue';
import { storeOf, startS3rver } from './s3rver';
import { freshQueuePrefix, REDIS_URL } from './services';

export type Teardown = Array<() => Promise<unknown>>;

/** A fresh Postgres database with every migration applied, and a connected PrismaService on it. */
export async function migratedDatabase(name: string, teardown: Teardown): Promise<{ prisma: PrismaService; url: string }> {
  const db = await createFreshDatabase(name);
  teardown.push(db.drop);
  await migrate(db.url);
  const prisma = new PrismaService({ databaseUrl: db.url });
  await prisma.$connect();
  teardown.unshift(() => prisma.$disconnect());
  return { prisma, url: db.url };
}

/** An s3rver on loopback and the S3 artifact store on it. */
export async function s3Store(teardown: Teardown): Promise<S3ArtifactStore> {
  const s3 = await startS3rver();
  teardown.unshift(s3.stop);
  const store = storeOf(s3);
  teardown.unshift(async () => store.close());
  return store;
}

/** BullMQ's two lanes on the real Redis under a fresh prefix (cleared at the end), and the JobQueue over them. */
export function bullQueues(teardown: Teardown): { queues: Record<'training' | 'jobs', Queue>; jobQueue: BullMqJobQueue } {
  const prefix = freshQueuePrefix();
  teardown.unshift(prefix.clear);
  const [training, jobs] = ['training', 'jobs'].map((lane) => new Queue(lane, { connection: redisConnection(REDIS_URL), prefix: prefix.prefix }));
  teardown.unshift(() => Promise.all([training.close(), jobs.close()]));
  return { queues: { training, jobs }, jobQueue: new BullMqJobQueue({ training, jobs }) };
}
