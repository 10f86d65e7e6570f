import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { ExperimentRepository } from '@trainyard/db';
import { CourseDispatcher } from '@trainyard/platform';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';

/**
 * Postgres is the truth; the queue can lose jobs (Redis restarted without persistence, a failover,
 * a submit whose enqueue timed out while Redis was down). Every RECONCILE_INTERVAL_MS this worker
 * makes sure each QUEUED or RUNNING experiment has its train job waiting or running, and queues
 * again the ones that are missing. Job ids dedupe, so several workers reconciling at once add each
 * job once; a job run twice is fenced by the attempt and resumes from the last checkpoint.
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
    const unfinished = await this.experiments.unfinished();
    let requeued = 0;
    for (const { id } of unfinished) {
      const outcome = await this.queue.ensure('train', { experimentId: id });
      if (outcome !== 'present') {
        requeued++;
        this.logger.warn(`experiment ${id}: its train job was missing from the queue (${outcome}); queued again`);
      }
    }
    if (requeued > 0) this.logger.log(`reconciled ${unfinished.length} unfinished experiments: ${requeued} queued again`);
    return { unfinished: unfinished.length, requeued };
  }
}
