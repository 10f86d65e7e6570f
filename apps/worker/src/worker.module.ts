import { Module } from '@nestjs/common';
import { CheckpointRepository, DatasetRepository, ExperimentRepository } from '@trainyard/db';
import { JobsProcessor } from './jobs.processor';
import { WorkerMetrics } from './observability/worker-metrics';
import { WorkerProbe } from './observability/worker-probe';
import { ReconcilerService } from './reconciler/reconciler.service';
import { TrainingService } from './training/training.service';

/** Pulls jobs (see libs/common/src/jobs.ts) and runs each through its handler. No HTTP: a worker is a Nest application context. */
@Module({
  providers: [DatasetRepository, ExperimentRepository, CheckpointRepository, TrainingService, JobsProcessor, WorkerMetrics, WorkerProbe, ReconcilerService],
})
export class WorkerModule {}
