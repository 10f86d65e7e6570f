import { Logger } from '@nestjs/common';
import { isJobName, JOB_LANES, JobLane, JobName, JobPayloads, JOBS } from '@trainyard/common';
import { JobType, Queue, WaitingError, Worker } from 'bullmq';
import { ConsumerOptions, DEFAULT_RETRY_DELAY_MS, dispatch, EnqueueOptions, JOB_ATTEMPTS, JOB_RELEASED, JobConsumer, JobHandlers, JobQueue, QueueDepth } from './job-queue';

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

/** The BullMQ queue name of a lane. */
export const laneQueueName = (lane: JobLane) => lane;

/** Producer over one BullMQ queue per lane (injected by @nestjs/bullmq); the BullMQ job name is the JobName. */
export class BullMqJobQueue implements JobQueue {
  /** retryDelayMs: the first retry's delay (JOB_RETRY_DELAY_MS); each next one doubles it. */
  constructor(
    private readonly queues: Record<JobLane, Queue>,
    private readonly retryDelayMs = DEFAULT_RETRY_DELAY_MS,
  ) {}

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], opts: EnqueueOptions = {}): Promise<void> {
    const def = JOBS[name];
    // The job id makes a second add of the same payload a no-op while the first job exists.
    await this.queues[def.lane].add(name, payload, {
      jobId: def.jobId(payload),
      ...(opts.priority ? { priority: opts.priority } : {}),
      attempts: JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: this.retryDelayMs },
      removeOnComplete: { age: 24 * 3600 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  async ensure<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<'present' | 'added' | 'replaced'> {
    const queue = this.queues[JOBS[name].lane];
    const existing = await queue.getJob(JOBS[name].jobId(payload));
    if (existing) {
      const state = await existing.getState();
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return 'present';
      await existing.remove();
      await this.enqueue(name, payload);
      return 'replaced';
    }
    await this.enqueue(name, payload);
    return 'added';
  }

  async live<N extends JobName>(name: N): Promise<Array<JobPayloads[N]>> {
    const jobs = await this.queues[JOBS[name].lane].getJobs(LIVE_STATES);
    return jobs.filter((j) => j?.name === name).map((j) => j.data as JobPayloads[N]);
  }

  async depth(): Promise<QueueDepth[]> {
    const out: QueueDepth[] = [];
    for (const lane of JOB_LANES) {
      const counts = await this.queues[lane].getJobCounts(...DEPTH_STATES);
      for (const state of DEPTH_STATES) out.push({ lane, state, count: counts[state] ?? 0 });
    }
    return out;
  }
}

/** A job in one of these states will still run (or is running). */
const LIVE_STATES: JobType[] = ['wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused'];
const DEPTH_STATES: JobType[] = ['wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused', 'failed', 'completed'];

/**
 * BullMQ workers, one per lane. Handlers keep this process's event loop free (training runs on a
 * worker thread), so lock renewal keeps up and a live run is never picked up twice. A worker that
 * dies (SIGKILL) stops renewing; after lockDuration the stalled check hands the job to another
 * worker, which resumes from the last checkpoint.
 */
export class BullMqConsumer implements JobConsumer {
  private readonly logger = new Logger('BullMqConsumer');
  private workers: Worker[] = [];
  private readonly shutdown = new AbortController();
  private closing?: Promise<void>;

  constructor(
    private readonly config: RedisQueueConfig,
    private readonly options: ConsumerOptions,
  ) {}

  async start(handlers: JobHandlers): Promise<void> {
    for (const lane of this.options.lanes) {
      const worker = new Worker(
        laneQueueName(lane),
        async (job, token) => {
          if (!isJobName(job.name)) throw new Error(`no handler for job "${job.name.slice(0, 64)}"`);
          const attemptsMade = job.attemptsMade;
          const outcome = await dispatch(handlers, job.name, job.data, {
            jobId: job.id ?? '',
            attemptsMade,
            lastTry: attemptsMade + 1 >= (job.opts.attempts ?? JOB_ATTEMPTS),
            shutdown: this.shutdown.signal,
          });
          this.logger.log(`${job.name} job ${job.id} (delivery ${attemptsMade + 1}): ${outcome}`);
          if (outcome === JOB_RELEASED) {
            // Back to the head of the wait list, lock released, attemptsMade unchanged: the next
            // worker to poll takes it at once, and it does not count as a failed attempt.
            await job.moveToWait(token);
            throw new WaitingError();
          }
          return outcome;
        },
        {
          connection: redisConnection(this.config.url),
          prefix: this.config.prefix,
          concurrency: this.options.concurrency[lane],
          lockDuration: this.options.lockDurationMs,
          stalledInterval: this.options.stalledIntervalMs,
          // Each crash of a worker counts as one stall; allow several before giving up on a job.
          maxStalledCount: 10,
        },
      );
      worker.on('stalled', (id) => this.logger.warn(`${lane} job ${id} stalled; it will run again and resume`));
      worker.on('failed', (job, err) => this.logger.warn(`${lane} job ${job?.id} failed: ${err.message}`));
      worker.on('error', (err) => this.logger.error(`${lane} worker error: ${err.message}`));
      this.workers.push(worker);
    }
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = Promise.all(this.workers.map((w) => w.close()));
      this.shutdown.abort();
      await closed;
    })();
    return this.closing;
  }
}
