import { JobLane, JobName, JobPayloads } from '@trainyard/common';

export interface EnqueueOptions {
  /**
   * Dispatch order within a lane, as BullMQ's: 0 (the default) runs first, in arrival order; then
   * 1, 2, ... (lower first, arrival order within one value). Course fair share uses it.
   */
  priority?: number;
}

/** Producer side: what the API calls. Both drivers dedupe by `JOBS[name].jobId(payload)`. */
export interface JobQueue {
  enqueue<N extends JobName>(name: N, payload: JobPayloads[N], opts?: EnqueueOptions): Promise<void>;
  /**
   * For a job whose work Postgres says is unfinished (the reconciler): makes sure the queue holds it
   * waiting or running. 'present': it does; 'added': it was missing (Redis lost its data) and is
   * queued again; 'replaced': it had ended (completed or failed) without finishing its work, and is
   * queued again.
   */
  ensure<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<'present' | 'added' | 'replaced'>;
  /**
   * The payloads of `name`'s jobs not finished yet (waiting, delayed or running), whatever their ids:
   * the reconciler asks whether any job is working on a row, not whether one id is there.
   */
  live<N extends JobName>(name: N): Promise<Array<JobPayloads[N]>>;
  /** Jobs per lane and state (BullMQ's getJobCounts; the in-process queue reports waiting and active): what autoscaling reads. */
  depth(): Promise<QueueDepth[]>;
}

export interface QueueDepth {
  lane: JobLane;
  /** BullMQ's state names: wait, active, delayed, prioritized, waiting-children, paused, completed, failed. */
  state: string;
  count: number;
}

export interface JobContext {
  jobId: string;
  /** How many times this job was started before (0 on the first run). */
  attemptsMade: number;
  /** True when the queue will not deliver this job again: a handler records failure instead of throwing. */
  lastTry: boolean;
  /**
   * Aborted when this worker is shutting down (SIGTERM): a long job stops at a point it can resume
   * from (training: a checkpoint) and returns JOB_RELEASED, and the queue hands the job to another
   * worker without counting a failed attempt.
   */
  shutdown: AbortSignal;
}

/** The outcome that gives a job back to the queue (see JobContext.shutdown). */
export const JOB_RELEASED = 'released';

/**
 * Runs one job and returns its explicit outcome ('succeeded', 'failed', 'already-finished'...), which
 * the consumer logs. Throwing means "try again later" (a store or database outage); the queue retries
 * up to JOB_ATTEMPTS times with backoff.
 */
export type JobHandler<N extends JobName> = (payload: JobPayloads[N], ctx: JobContext) => Promise<string>;

/** Exactly one handler per job name. */
export type JobHandlers = { [N in JobName]: JobHandler<N> };

/** Consumer side: what a worker process starts. */
export interface JobConsumer {
  start(handlers: JobHandlers): Promise<void>;
  /** Stops taking jobs, aborts JobContext.shutdown of the running ones and waits for them. Idempotent. */
  close(): Promise<void>;
}

export const JOB_QUEUE = Symbol('JOB_QUEUE');
export const JOB_CONSUMER = Symbol('JOB_CONSUMER');

export interface ConsumerOptions {
  /** Lanes this consumer takes jobs from (BullMQ; the in-process queue runs every lane). */
  lanes: readonly JobLane[];
  /** Concurrent jobs per lane in one process. */
  concurrency: { training: number; jobs: number };
  lockDurationMs: number;
  stalledIntervalMs: number;
}

/** Deliveries of a job that throws (a store or database outage) before it is given up. */
export const JOB_ATTEMPTS = 5;

/** The first retry's delay unless configured (JOB_RETRY_DELAY_MS); each next retry waits twice as long. */
export const DEFAULT_RETRY_DELAY_MS = 2_000;

/** The delay before delivery `attemptsMade + 1` of a job that failed `attemptsMade` times (BullMQ's exponential backoff). */
export const retryDelay = (attemptsMade: number, baseMs = DEFAULT_RETRY_DELAY_MS) => baseMs * 2 ** (attemptsMade - 1);

/** Calls the handler registered for a job's name. */
export function dispatch<N extends JobName>(handlers: JobHandlers, name: N, payload: JobPayloads[N], ctx: JobContext): Promise<string> {
  return (handlers[name] as JobHandler<N>)(payload, ctx);
}
