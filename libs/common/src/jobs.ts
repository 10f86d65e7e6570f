/**
 * Every background job Trainyard runs: its name, its payload and the lane it runs in. One typed map,
 * read by the producers (api), the queue drivers (BullMQ and in-process) and the worker, which must
 * register exactly one handler per name (TypeScript checks that).
 *
 * Jobs carry ids only, never data or secrets: the worker reads everything else from Postgres and the
 * artifact store, so a job delivered twice sees the same inputs, and its handler is idempotent.
 *
 * To add a job: its payload here, its entry in JOBS, and a handler in apps/worker (jobs.processor.ts).
 */
export interface JobPayloads {
  /**
   * Train (or resume) one experiment. `resumeOf`: for a run that ran before (resumed, reopened,
   * unpaused, or lost by a dead worker), the attempt the row had when this job was queued, so the job
   * gets an id of its own (the first job's id may still be held by the queue's record of that
   * finished job). Build it with trainPayload.
   */
  train: { experimentId: string; resumeOf?: number };
  /** Score one checkpoint on one dataset (the Evaluation row says which). */
  evaluate: { evaluationId: string };
  /** Free the bytes under one ArtifactDeletion's prefix (rows already deleted), then forget it. */
  deleteArtifacts: { deletionId: string };
  /** Score one course submission on its assignment's hidden split; `round` is the submission's scoreRound when queued (re-scores bump it). */
  scoreSubmission: { submissionId: string; round: number };
  /** Convert one dataset version's uploaded sources into the internal form (shards + index). */
  ingestDataset: { datasetVersionId: string };
  /** Convert one checkpoint to another format (ONNX) and store the file: a CheckpointExport row. */
  exportCheckpoint: { exportId: string };
  /** Run one checkpoint over one split of a dataset version and store the predictions file (a BatchPrediction row). */
  batchPredict: { batchPredictionId: string };
}

export type JobName = keyof JobPayloads;

/**
 * Lanes are separate queues, each with its own worker concurrency: long training runs must not hold
 * up short jobs (an ingest, an export) behind them.
 */
export const JOB_LANES = ['training', 'jobs'] as const;
export type JobLane = (typeof JOB_LANES)[number];

export interface JobDefinition<N extends JobName> {
  lane: JobLane;
  /** The queue-wide id of the job for this payload: enqueueing the same id again is a no-op while it exists. */
  jobId(payload: JobPayloads[N]): string;
}

export const JOBS: { [N in JobName]: JobDefinition<N> } = {
  train: { lane: 'training', jobId: (p) => `experiment-${p.experimentId}${p.resumeOf !== undefined ? `-resume-${p.resumeOf}` : ''}` },
  evaluate: { lane: 'jobs', jobId: (p) => `evaluation-${p.evaluationId}` },
  deleteArtifacts: { lane: 'jobs', jobId: (p) => `deletion-${p.deletionId}` },
  scoreSubmission: { lane: 'jobs', jobId: (p) => `submission-${p.submissionId}-${p.round}` },
  ingestDataset: { lane: 'jobs', jobId: (p) => `ingest-${p.datasetVersionId}` },
  exportCheckpoint: { lane: 'jobs', jobId: (p) => `export-${p.exportId}` },
  batchPredict: { lane: 'jobs', jobId: (p) => `batch-prediction-${p.batchPredictionId}` },
};

/** The train job for an experiment row: a run that ran before (attempt > 0) gets a job id of its own. */
export const trainPayload = (e: { id: string; attempt: number }): JobPayloads['train'] => (e.attempt > 0 ? { experimentId: e.id, resumeOf: e.attempt } : { experimentId: e.id });

/** One job as it travels: its name and payload, typed together. */
export type JobOf<N extends JobName = JobName> = { [K in N]: { name: K; payload: JobPayloads[K] } }[N];

export const isJobName = (name: string): name is JobName => Object.prototype.hasOwnProperty.call(JOBS, name);
