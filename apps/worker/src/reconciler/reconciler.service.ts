import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { trainPayload } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { ExperimentRepository } from '@trainyard/db';
import { CourseDispatcher } from '@trainyard/platform';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';

/**
 * Postgres is the truth; the queue can lose jobs (Redis restarted without persistence, a failover,
 * a submit whose enqueue timed out while Redis was down). Every RECONCILE_INTERVAL_MS this worker
 * makes sure each QUEUED or RUNNING experiment has a train job waiting or running, and queues again
 * the ones that have none. A run that was resumed has a job id of its own (trainPayload), so the
 * check is by experiment, over the live jobs, not by one job id. Job ids dedupe, so several workers
 * reconciling at once add each job once; a job run twice is fenced by the attempt and resumes from
 * the last checkpoint.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Reconciler');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly experiments: ExperimentRepository,
    private readonly dispatcher: CourseDispatcher,
  ) {}

  onApplicationBootstrap() {
    const every = this.config.reconcile?.intervalMs ?? 0;
    if (this.config.queue.kind !== 'redis' || every <= 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.reconcile()
        .catch((e: Error) => this.logger.warn(`reconcile pass failed (will retry): ${e.message}`))
        .finally(() => (this.running = undefined));
    }, every);
    this.timer.unref();
  }

  async onModuleDestroy() {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns how many jobs it queued again. */
  async reconcile(): Promise<{ unfinished: number; requeued: number }> {
    // Courses' runs waiting for admission (fair share) whose slot freed without a pass (a worker died).
    await this.dispatcher.admitAll();
    // Rows first, then jobs: a job that finishes in between leaves a row that looks unfinished, and
    // the job queued for it finds the run done (claim) and ends at once.
    const unfinished = await this.experiments.unfinished();
    const live = new Set((await this.queue.live('train')).map((p) => p.experimentId));
    let requeued = 0;
    for (const row of unfinished) {
      if (live.has(row.id)) continue;
      const outcome = await this.queue.ensure('train', trainPayload(row));
      if (outcome !== 'present') {
        requeued++;
        this.logger.warn(`experiment ${row.id}: no train job in the queue (${outcome}); queued again`);
      }
    }
    if (requeued > 0) this.logger.log(`reconciled ${unfinished.length} unfinished experiments: ${requeued} queued again`);
    return { unfinished: unfinished.length, requeued };
  }
}
