import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { JOB_CONSUMER, JobConsumer, JobHandlers } from '@trainyard/queue';
import { IngestService } from './ingest/ingest.service';
import { ExportService } from './export/export.service';
import { IdleExit } from './observability/idle-exit';
import { WorkerMetrics } from './observability/worker-metrics';
import { TrainingService } from './training/training.service';
import { ScoringService } from './scoring/scoring.service';
import { JOB_QUEUE, JobQueue } from '@trainyard/queue';

/**
 * Thin: takes jobs off the queue and hands each to the one service that handles its name. The map
 * below is typed against libs/common's JobPayloads, so a job without a handler does not compile.
 */
@Injectable()
export class JobsProcessor implements OnApplicationBootstrap {
  private readonly logger = new Logger('JobsProcessor');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JOB_CONSUMER) private readonly consumer: JobConsumer,
    private readonly training: TrainingService,
    private readonly ingest: IngestService,
    private readonly exports: ExportService,
    private readonly scoring: ScoringService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly metrics: WorkerMetrics,
    private readonly idle: IdleExit,
  ) {}

  readonly handlers: JobHandlers = {
    train: (payload, ctx) => this.training.handle(payload, ctx),
    ingestDataset: (payload, ctx) => this.ingest.handle(payload, ctx),
    exportCheckpoint: (payload, ctx) => this.exports.handle(payload, ctx),
    scoreSubmission: (payload, ctx) => this.scoring.handle(payload, ctx),
  };

  async onApplicationBootstrap() {
    await this.consumer.start(this.idle.wrap(this.metrics.instrument(this.handlers)));
    if (this.config.queue.kind === 'in-process') {
      // In-process jobs die with the process; pick up what a previous run left unfinished.
      await this.training.requeueUnfinished();
      await this.ingest.requeueUnfinished();
      await this.exports.requeueUnfinished();
      await this.scoring.requeueUnscored((p) => this.queue.enqueue('scoreSubmission', p));
    }
    const w = this.config.worker;
    this.logger.log(`worker started (${this.config.queue.kind} queue, lanes ${w.lanes.join(',')}, training concurrency ${w.concurrency}, jobs concurrency ${w.jobConcurrency})`);
  }
}
