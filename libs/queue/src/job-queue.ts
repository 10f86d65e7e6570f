import { TrainExperimentJob } from '@trainyard/common';

/** Producer side: what the API calls. Both drivers dedupe by job id: one job per experiment. */
export interface JobQueue {
  enqueueTraining(job: TrainExperimentJob): Promise<void>;
}

export interface JobContext {
  jobId: string;
  /** How many times this job was started before (0 on the first run). */
  attemptsMade: number;
}

export type TrainingHandler = (job: TrainExperimentJob, ctx: JobContext) => Promise<void>;

/** Consumer side: what a worker process starts. */
export interface JobConsumer {
  start(handler: TrainingHandler): Promise<void>;
  close(): Promise<void>;
}

export const JOB_QUEUE = Symbol('JOB_QUEUE');
export const JOB_CONSUMER = Symbol('JOB_CONSUMER');

export interface ConsumerOptions {
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

/** Retries for jobs that throw (a store or database outage); training failures are recorded, not thrown. */
export const JOB_ATTEMPTS = 5;
