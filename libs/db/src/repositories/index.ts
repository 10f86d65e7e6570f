export { DatasetRepository, NewDatasetFile, DatasetSummary } from './dataset.repository';
export { ExperimentRepository, SupersededError, LossRecord, NewExperiment } from './experiment.repository';
export { CheckpointRepository, NewCheckpoint } from './checkpoint.repository';
export { DeploymentRepository } from './deployment.repository';
export { DatasetVersionRepository, VersionSummary, STALE_UPLOAD_MS } from './dataset-version.repository';
export { CheckpointExportRepository, ExportFormatName, ExportRow, FinishedExport } from './checkpoint-export.repository';
export { SubmissionRepository, SubmissionScores } from './submission.repository';
