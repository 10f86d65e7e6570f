import { Module } from '@nestjs/common';
import { CheckpointRepository, DatasetRepository, ExperimentRepository } from '@trainyard/db';
import { TrainingProcessor } from './training/training.processor';
import { TrainingService } from './training/training.service';

/** Pulls training jobs and runs them. No HTTP: a worker is a Nest application context. */
@Module({
  providers: [DatasetRepository, ExperimentRepository, CheckpointRepository, TrainingService, TrainingProcessor],
})
export class WorkerModule {}
