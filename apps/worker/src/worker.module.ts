import { Module } from '@nestjs/common';
import { CheckpointRepository, DatasetRepository, ExperimentRepository, SubmissionRepository } from '@trainyard/db';
import { ScoringService } from './scoring/scoring.service';
import { ComputeBudget } from './budget/compute-budget.service';
import { JobsProcessor } from './jobs.processor';
import { WorkerMetrics } from './observability/worker-metrics';
import { WorkerProbe } from './observability/worker-probe';
import { TrainingService } from './training/training.service';

/** Pulls jobs (see libs/common/src/jobs.ts) and runs each through its handler. No HTTP: a worker is a Nest application context. */
@Module({
  providers: [DatasetRepository, ExperimentRepository, CheckpointRepository, TrainingService, ComputeBudget, SubmissionRepository, ScoringService, JobsProcessor, WorkerMetrics, WorkerProbe],
})
export class WorkerModule {}
