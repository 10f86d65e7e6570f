import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { JOB_CONSUMER, JOB_QUEUE, JobConsumer, JobHandlers, JobQueue } from '@trainyard/queue';
import { BatchPredictService } from './batch-predict/batch-predict.service';
import { EvaluateService } from './evaluate/evaluate.service';
import { ExportService } from './export/export.service';
import { IngestService } from './ingest/ingest.service';
import { IdleExit } from './observability/idle-exit';
import { WorkerMetrics } from './observability/worker-metrics';
import { ArtifactsService } from './retention/artifacts.service';
import { TrainingService } from './training/training.service';
import { ScoringService } from './scoring/scoring.service';

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
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    private readonly training: TrainingService,
    private readonly evaluations: EvaluateService,
    private readonly artifacts: ArtifactsService,
    private readonly ingest: IngestService,
    private readonly exports: ExportService,
    private readonly scoring: ScoringService,
    private readonly batchPredictions: BatchPredictService,
    private readonly metrics: WorkerMetrics,
    private readonly idle: IdleExit,
  ) {}

  readonly handlers: JobHandlers = {
    train: (payload, ctx) => this.training.handle(payload, ctx),
    evaluate: (payload, ctx) => this.evaluations.handle(payload, ctx),
    deleteArtifacts: (payload) => this.artifacts.handle(payload),
    ingestDataset: (payload, ctx) => this.ingest.handle(payload, ctx),
    exportCheckpoint: (payload, ctx) => this.exports.handle(payload, ctx),
    scoreSubmission: (payload, ctx) => this.scoring.handle(payload, ctx),
    batchPredict: (payload, ctx) => this.batchPredictions.handle(payload, ctx),
  };

  async onApplicationBootstrap() {
    await this.consumer.start(this.idle.wrap(this.metrics.instrument(this.handlers)));
    if (this.config.queue.kind === 'in-process') {
      // In-process jobs die with the process; pick up what a previous run left unfinished.
      await this.training.requeueUnfinished();
      for (const { id } of await this.evaluations.unfinished()) await this.queue.enqueue('evaluate', { evaluationId: id });
      for (const { id } of await this.artifacts.pending()) await this.queue.enqueue('deleteArtifacts', { deletionId: id });
      await this.ingest.requeueUnfinished();
      await this.exports.requeueUnfinished();
      for (const { id } of await this.batchPredictions.unfinished()) await this.queue.enqueue('batchPredict', { batchPredictionId: id });
      await this.scoring.requeueUnscored((p) => this.queue.enqueue('scoreSubmission', p));
    }
    const w = this.config.worker;
    this.logger.log(`worker started (${this.config.queue.kind} queue, lanes ${w.lanes.join(',')}, training concurrency ${w.concurrency}, jobs concurrency ${w.jobConcurrency})`);
  }
}
