export { DatasetRepository, NewDatasetFile, DatasetSummary } from './dataset.repository';
export { ExperimentRepository, SupersededError, LossRecord, NewExperiment } from './experiment.repository';
export { CheckpointRepository, NewCheckpoint } from './checkpoint.repository';
export { DeploymentRepository } from './deployment.repository';
export { SubmissionRepository, SubmissionScores } from './submission.repository';
