/**
 * Queue names and job payloads. Jobs carry ids only, never data or secrets: the worker reads
 * everything else from Postgres and the artifact store, so a job run twice sees the same inputs.
 */
export const TRAINING_QUEUE = 'training';

export interface TrainExperimentJob {
  experimentId: string;
}

/** The BullMQ job id of an experiment's training job: one job per experiment, ever. */
export const trainingJobId = (experimentId: string) => `experiment-${experimentId}`;
