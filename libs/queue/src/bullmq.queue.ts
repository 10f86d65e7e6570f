import { Logger } from '@nestjs/common';
import { TRAINING_QUEUE, TrainExperimentJob, trainingJobId } from '@trainyard/common';
import { Queue, Worker } from 'bullmq';
import { ConsumerOptions, JOB_ATTEMPTS, JobConsumer, JobQueue, TrainingHandler } from './job-queue';

export interface RedisQueueConfig {
  url: string;
  prefix: string;
}

/** BullMQ connections take ioredis options; blocking workers need maxRetriesPerRequest: null. */
export function redisConnection(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/** Producer over a BullMQ queue (injected by @nestjs/bullmq). */
export class BullMqJobQueue implements JobQueue {
  constructor(private readonly queue: Queue) {}

  async enqueueTraining(job: TrainExperimentJob): Promise<void> {
    // The job id makes a second add of the same experiment a no-op while the first job exists.
    await this.queue.add('train', job, {
      jobId: trainingJobId(job.experimentId),
      attempts: JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: 2000 },
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }
}

/**
 * A BullMQ worker for training jobs. The handler keeps this process's event loop free (training
 * runs on a worker thread), so lock renewal keeps up and a live run is never picked up twice.
 * A worker that dies (SIGKILL) stops renewing; after lockDuration the stalled check hands the
 * job to another worker, which resumes from the last checkpoint.
 */
export class BullMqConsumer implements JobConsumer {
  private readonly logger = new Logger('BullMqConsumer');
  private worker?: Worker;

  constructor(
    private readonly config: RedisQueueConfig,
    private readonly options: ConsumerOptions,
  ) {}

  async start(handler: TrainingHandler): Promise<void> {
    this.worker = new Worker<TrainExperimentJob>(
      TRAINING_QUEUE,
      (job) => handler(job.data, { jobId: job.id ?? '', attemptsMade: job.attemptsMade }),
      {
        connection: redisConnection(this.config.url),
        prefix: this.config.prefix,
        concurrency: this.options.concurrency,
        lockDuration: this.options.lockDurationMs,
        stalledInterval: this.options.stalledIntervalMs,
        // Each crash of a worker counts as one stall; allow several before giving up on a job.
        maxStalledCount: 10,
      },
    );
    this.worker.on('stalled', (id) => this.logger.warn(`job ${id} stalled; it will run again and resume`));
    this.worker.on('failed', (job, err) => this.logger.warn(`job ${job?.id} failed: ${err.message}`));
    this.worker.on('error', (err) => this.logger.error(`worker error: ${err.message}`));
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker?.close();
  }
}
