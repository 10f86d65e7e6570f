import { CourseDispatcher } from '@trainyard/platform';
import { Module } from '@nestjs/common';
import {
  ArtifactDeletionRepository,
  BatchPredictionRepository,
  CheckpointExportRepository,
  CheckpointRepository,
  DatasetRepository,
  DatasetVersionRepository,
  EvaluationRepository,
  ExperimentRepository,
  SubmissionRepository,
} from '@trainyard/db';
import { BatchPredictService } from './batch-predict/batch-predict.service';
import { EvaluateService } from './evaluate/evaluate.service';
import { ScoringService } from './scoring/scoring.service';
import { ComputeBudget } from './budget/compute-budget.service';
import { ExportService } from './export/export.service';
import { IngestService } from './ingest/ingest.service';
import { ArtifactsService } from './retention/artifacts.service';
import { DatasetLoader } from './training/dataset-loader';
import { CheckpointSink } from './training/checkpoint-sink';
import { ReceiptRecorder } from './training/receipt-recorder';
import { JobsProcessor } from './jobs.processor';
import { IdleExit } from './observability/idle-exit';
import { WorkerMetrics } from './observability/worker-metrics';
import { WorkerProbe } from './observability/worker-probe';
import { WorkerHeartbeat } from './observability/worker-heartbeat';
import { ReconcilerService } from './reconciler/reconciler.service';
import { TrainingService } from './training/training.service';

/** Pulls jobs (see libs/common/src/jobs.ts) and runs each through its handler. No HTTP: a worker is a Nest application context. */
@Module({
  providers: [
    DatasetRepository,
    DatasetVersionRepository,
    ExperimentRepository,
    CheckpointRepository,
    CheckpointExportRepository,
    EvaluationRepository,
    ArtifactDeletionRepository,
    TrainingService,
    ComputeBudget,
    SubmissionRepository,
    ScoringService,
    IngestService,
    DatasetLoader,
    ExportService,
    BatchPredictionRepository,
    BatchPredictService,
    EvaluateService,
    ArtifactsService,
    ReceiptRecorder,
    CheckpointSink,
    JobsProcessor,
    WorkerMetrics,
    WorkerProbe,
    IdleExit,
    WorkerHeartbeat,
    ReconcilerService,
    CourseDispatcher,
  ],
})
export class WorkerModule {}
