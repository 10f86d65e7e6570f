import { Logger } from '@nestjs/common';
import { JOB_LANES, JobLane, JobName, JobOf, JobPayloads, JOBS } from '@trainyard/common';
import { DEFAULT_RETRY_DELAY_MS, dispatch, EnqueueOptions, JOB_ATTEMPTS, JobConsumer, JobHandlers, JobQueue, QueueDepth, retryDelay } from './job-queue';

interface Pending {
  id: string;
  job: JobOf;
  attemptsMade: number;
  priority: number;
}

/**
 * The embedded queue: jobs run in this process, through the same handlers the BullMQ worker calls,
 * one lane per JOB_LANES entry with its own concurrency. Jobs live in memory, so the worker re-enqueues
 * unfinished work at start (see the worker's recovery), which is what BullMQ's stalled-job check does
 * for the Redis path.
 */
export class InProcessQueue implements JobQueue, JobConsumer {
  private readonly logger = new Logger('InProcessQueue');
  private readonly pending = new Map<JobLane, Pending[]>(JOB_LANES.map((l) => [l, []]));
  private readonly running = new Map<JobLane, number>(JOB_LANES.map((l) => [l, 0]));
  private readonly known = new Set<string>();
  /** Jobs running now or waiting for a retry, by id. */
  private readonly started = new Map<string, JobOf>();
  private readonly active = new Set<Promise<void>>();
  private handlers?: JobHandlers;
  private closed = false;
  private readonly shutdown = new AbortController();

  constructor(
    private readonly concurrency: Record<JobLane, number> = { training: 1, jobs: 1 },
    private readonly retryDelayMs = DEFAULT_RETRY_DELAY_MS,
  ) {}

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N], opts: EnqueueOptions = {}): Promise<void> {
    const def = JOBS[name];
    const id = def.jobId(payload);
    if (this.known.has(id) || this.closed) return;
    this.known.add(id);
    const queue = this.pending.get(def.lane)!;
    const priority = opts.priority ?? 0;
    // As BullMQ: priority 0 first, then lower numbers; arrival order within one priority.
    const at = queue.findIndex((p) => p.priority > priority);
    queue.splice(at === -1 ? queue.length : at, 0, { id, job: { name, payload } as JobOf, attemptsMade: 0, priority });
    this.pump(def.lane);
  }

  async ensure<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<'present' | 'added' | 'replaced'> {
    if (this.known.has(JOBS[name].jobId(payload))) return 'present';
    await this.enqueue(name, payload);
    return 'added';
  }

  async start(handlers: JobHandlers): Promise<void> {
    this.handlers = handlers;
    for (const lane of JOB_LANES) this.pump(lane);
  }

  async live<N extends JobName>(name: N): Promise<Array<JobPayloads[N]>> {
    const jobs = new Map<string, JobOf>(this.started);
    for (const list of this.pending.values()) for (const p of list) jobs.set(p.id, p.job);
    return [...jobs.values()].filter((j) => j.name === name).map((j) => j.payload as JobPayloads[N]);
  }

  async depth(): Promise<QueueDepth[]> {
    return JOB_LANES.flatMap((lane) => [
      { lane, state: 'wait', count: this.pending.get(lane)!.length },
      { lane, state: 'active', count: this.running.get(lane)! },
    ]);
  }

  /** A released job is forgotten: it lives in memory only, and the worker re-enqueues unfinished work at its next start. */
  async close(): Promise<void> {
    this.closed = true;
    this.shutdown.abort();
    for (const list of this.pending.values()) list.length = 0;
    await Promise.allSettled([...this.active]);
  }

  private pump(lane: JobLane): void {
    const queue = this.pending.get(lane)!;
    while (this.handlers && !this.closed && this.running.get(lane)! < this.concurrency[lane] && queue.length > 0) {
      const next = queue.shift()!;
      this.running.set(lane, this.running.get(lane)! + 1);
      this.started.set(next.id, next.job);
      // The job is over for good: forget it (a second enqueue of the same id runs it again).
      const ended = () => {
        this.known.delete(next.id);
        this.started.delete(next.id);
      };
      const ctx = { jobId: next.id, attemptsMade: next.attemptsMade, lastTry: next.attemptsMade + 1 >= JOB_ATTEMPTS, shutdown: this.shutdown.signal };
      const run = dispatch(this.handlers, next.job.name, next.job.payload, ctx)
        .then((outcome) => {
          this.logger.log(`${next.job.name} job ${next.id} (delivery ${next.attemptsMade + 1}): ${outcome}`);
          ended();
        })
        .catch((err: Error) => {
          const attemptsMade = next.attemptsMade + 1;
          if (attemptsMade < JOB_ATTEMPTS && !this.closed) {
            this.logger.warn(`${next.job.name} job ${next.id} failed (attempt ${attemptsMade}/${JOB_ATTEMPTS}), retrying: ${err.message}`);
            setTimeout(() => {
              queue.push({ ...next, attemptsMade });
              this.pump(lane);
            }, retryDelay(attemptsMade, this.retryDelayMs)).unref();
          } else {
            this.logger.error(`${next.job.name} job ${next.id} failed for good: ${err.message}`);
            ended();
          }
        })
        .finally(() => {
          this.running.set(lane, this.running.get(lane)! - 1);
          this.active.delete(run);
          this.pump(lane);
        });
      this.active.add(run);
    }
  }
}
