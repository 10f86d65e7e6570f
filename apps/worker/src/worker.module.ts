import { Module } from '@nestjs/common';
import { ArtifactDeletionRepository, CheckpointRepository, DatasetRepository, EvaluationRepository, ExperimentRepository } from '@trainyard/db';
import { EvaluateService } from './evaluate/evaluate.service';
import { ArtifactsService } from './retention/artifacts.service';
import { JobsProcessor } from './jobs.processor';
import { WorkerMetrics } from './observability/worker-metrics';
import { WorkerProbe } from './observability/worker-probe';
import { TrainingService } from './training/training.service';

/** Pulls jobs (see libs/common/src/jobs.ts) and runs each through its handler. No HTTP: a worker is a Nest application context. */
@Module({
  providers: [
    DatasetRepository,
    ExperimentRepository,
    CheckpointRepository,
    EvaluationRepository,
    ArtifactDeletionRepository,
    TrainingService,
    EvaluateService,
    ArtifactsService,
    JobsProcessor,
    WorkerMetrics,
    WorkerProbe,
  ],
})
export class WorkerModule {}
