import { Logger } from '@nestjs/common';
import { TrainExperimentJob, trainingJobId } from '@trainyard/common';
import { JOB_ATTEMPTS, JobConsumer, JobQueue, TrainingHandler } from './job-queue';

/**
 * The embedded queue: jobs run in this process, through the same handler the BullMQ worker calls.
 * Jobs live in memory, so the worker re-enqueues unfinished experiments at start (see the worker's
 * recovery), which is what BullMQ's stalled-job check does for the Redis path.
 */
export class InProcessQueue implements JobQueue, JobConsumer {
  private readonly logger = new Logger('InProcessQueue');
  private readonly pending: Array<{ id: string; job: TrainExperimentJob; attemptsMade: number }> = [];
  private readonly known = new Set<string>();
  private handler?: TrainingHandler;
  private running = 0;
  private closed = false;
  private readonly active = new Set<Promise<void>>();

  constructor(private readonly concurrency = 1) {}

  async enqueueTraining(job: TrainExperimentJob): Promise<void> {
    const id = trainingJobId(job.experimentId);
    if (this.known.has(id) || this.closed) return;
    this.known.add(id);
    this.pending.push({ id, job, attemptsMade: 0 });
    this.pump();
  }

  async start(handler: TrainingHandler): Promise<void> {
    this.handler = handler;
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pending.length = 0;
    await Promise.allSettled([...this.active]);
  }

  private pump(): void {
    while (this.handler && !this.closed && this.running < this.concurrency && this.pending.length > 0) {
      const next = this.pending.shift()!;
      this.running++;
      const run = this.handler(next.job, { jobId: next.id, attemptsMade: next.attemptsMade })
        .then(() => {
          this.known.delete(next.id);
        })
        .catch((err: Error) => {
          const attemptsMade = next.attemptsMade + 1;
          if (attemptsMade < JOB_ATTEMPTS && !this.closed) {
            this.logger.warn(`job ${next.id} failed (attempt ${attemptsMade}/${JOB_ATTEMPTS}), retrying: ${err.message}`);
            setTimeout(() => {
              this.pending.push({ ...next, attemptsMade });
              this.pump();
            }, 1000 * 2 ** attemptsMade).unref();
          } else {
            this.logger.error(`job ${next.id} failed for good: ${err.message}`);
            this.known.delete(next.id);
          }
        })
        .finally(() => {
          this.running--;
          this.active.delete(run);
          this.pump();
        });
      this.active.add(run);
    }
  }
}
