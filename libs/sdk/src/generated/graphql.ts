/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** ModelCheckpoint: save every N steps (and optionally every epoch), keep at most K (older ones are deleted), plus the best by a metric. */
export type CheckpointConfigInput = {
  everyEpoch?: boolean | null | undefined;
  keepBest?: KeepBestInput | null | undefined;
  keepCheckpointMax: number;
  saveCheckpointSteps: number;
};

/** Datasets matching every field given. */
export type DatasetFilter = {
  /** Names starting with this (case-sensitive). */
  namePrefix?: string | null | undefined;
  status?: DatasetStatus | null | undefined;
};

/** READY once every file is uploaded, valid and consistent. */
export type DatasetStatus =
  | 'PENDING'
  | 'READY';

/** UPLOADING (open for files) -> INGESTING (the ingestDataset job runs) -> READY (immutable) or FAILED (failureReason says why). */
export type DatasetVersionStatus =
  | 'FAILED'
  | 'INGESTING'
  | 'READY'
  | 'UPLOADING';

export type DeployOptionsInput = {
  /** Labels to point at the new version. */
  labels?: Array<string> | null | undefined;
  /** Make the new version the default (default true; the first version always is). */
  makeDefault?: boolean | null | undefined;
  /** Dynamic batching: most samples per runtime call (1-1024, default 64). */
  maxBatchSize?: number | null | undefined;
  /** Dynamic batching: longest wait for more calls, ms (0-1000, default 0). */
  maxBatchWaitMs?: number | null | undefined;
};

/** EarlyStopping: stop when monitor (val_loss, val_accuracy, loss, accuracy) has not improved by more than minDelta for patience epochs. */
export type EarlyStoppingInput = {
  minDelta?: number | null | undefined;
  monitor?: string | null | undefined;
  patience?: number | null | undefined;
};

/** Experiments matching every field given. */
export type ExperimentFilter = {
  datasetId?: string | number | null | undefined;
  /** Names starting with this (case-sensitive). */
  namePrefix?: string | null | undefined;
  /** Any of these statuses. */
  status?: Array<ExperimentStatus> | null | undefined;
  /** Trials of this sweep. */
  sweepId?: string | number | null | undefined;
  /** Submitted by this user. */
  userId?: string | number | null | undefined;
};

export type ExperimentStatus =
  | 'CANCELLED'
  | 'FAILED'
  | 'PAUSED'
  | 'QUEUED'
  | 'RUNNING'
  | 'SUCCEEDED';

/** ONNX: an ONNX model (opset 13) taking the same NHWC float32 input as the tfjs model; its output is the logits. */
export type ExportFormat =
  | 'ONNX';

/** QUEUED -> RUNNING -> SUCCEEDED or FAILED (see failureReason). */
export type ExportStatus =
  | 'FAILED'
  | 'QUEUED'
  | 'RUNNING'
  | 'SUCCEEDED';

export type KeepBestInput = {
  /** Metric to rank checkpoints by (val_loss, val_accuracy, loss, accuracy; default val_accuracy). */
  monitor?: string | null | undefined;
};

export type LossInput = {
  /** Huber: delta (default 1). */
  delta?: number | null | undefined;
  /** Cross-entropy losses: label smoothing in [0, 1). */
  labelSmoothing?: number | null | undefined;
  /** One of SoftmaxCrossEntropyWithLogits, SigmoidBinaryCrossEntropy, MSE, L1, Huber */
  name: string;
  /** SigmoidBinaryCrossEntropy, MSE, L1, Huber on class labels: compare with each label's one-hot row (required for class labels). */
  oneHot?: boolean | null | undefined;
  /** mean (default) or sum over the batch. */
  reduction?: string | null | undefined;
  /** SoftmaxCrossEntropyWithLogits: integer labels (true, default) or one-hot (false). */
  sparse?: boolean | null | undefined;
};

/** Per-sample transforms, MindSpore's names. */
export type MapOp =
  | 'CenterCrop'
  | 'Grayscale'
  | 'HWC2CHW'
  | 'Normalize'
  | 'OneHot'
  | 'RandomCrop'
  | 'RandomHorizontalFlip'
  | 'RandomRotation'
  | 'Rescale'
  | 'Resize'
  | 'TypeCast';

/** One map transform: Resize(size), Rescale(rescale, shift), Normalize(mean, std, or fromDataset), HWC2CHW, TypeCast(dtype), Grayscale, CenterCrop(size), RandomCrop(size, padding), RandomHorizontalFlip(p), RandomRotation(degrees), OneHot(numClasses, smoothing) on the label. Random ops run in training only. */
export type MapOpInput = {
  /** RandomRotation: maximum angle */
  degrees?: number | null | undefined;
  /** TypeCast: float32 or int32 */
  dtype?: string | null | undefined;
  /** Normalize: use the dataset's own per-channel mean and std */
  fromDataset?: boolean | null | undefined;
  /** Normalize: per-channel mean */
  mean?: Array<number> | null | undefined;
  /** OneHot (on the label): the row length; must equal the model's numClasses */
  numClasses?: number | null | undefined;
  op: MapOp;
  /** RandomHorizontalFlip: probability */
  p?: number | null | undefined;
  /** RandomCrop: zero padding on every side */
  padding?: number | null | undefined;
  /** Rescale: x * rescale + shift */
  rescale?: number | null | undefined;
  shift?: number | null | undefined;
  /** Resize, CenterCrop, RandomCrop: [height, width] */
  size?: Array<number> | null | undefined;
  /** OneHot: label smoothing rate in [0, 1) (MindSpore smoothing_rate) */
  smoothing?: number | null | undefined;
  /** Normalize: per-channel std */
  std?: Array<number> | null | undefined;
};

export type ModelInput = {
  /** One of lenet5, mlp, cnn, resnet, alexnet, custom */
  name: string;
  /** Defaults to the dataset's class count. */
  numClasses?: number | null | undefined;
  /** Model parameters. mlp: {hidden: [512, 256], activation, dropout}; cnn: {blocks: [{filters, convs, kernelSize, batchNorm, pool, dropout}], dense: [512], dropout}; resnet: {depth: 20|32|56}; alexnet: {dropout, denseUnits}; custom: {topology: <Keras/tfjs model.toJSON() object or its JSON text>}. */
  params?: unknown;
};

export type OptimizerInput = {
  beta1?: number | null | undefined;
  beta2?: number | null | undefined;
  /** RMSProp */
  centered?: boolean | null | undefined;
  /** RMSProp decay */
  decay?: number | null | undefined;
  epsilon?: number | null | undefined;
  /** Adagrad */
  initialAccumulatorValue?: number | null | undefined;
  learningRate: number;
  /** Momentum, RMSProp */
  momentum?: number | null | undefined;
  /** One of SGD, Momentum, RMSProp, Adam, AdamW, AdamWeightDecay, Adagrad, Adadelta, Adamax */
  name: string;
  /** RMSProp decay (Keras name), Adadelta rho */
  rho?: number | null | undefined;
  /** Momentum */
  useNesterov?: boolean | null | undefined;
  /** AdamW / AdamWeightDecay: decoupled weight decay */
  weightDecay?: number | null | undefined;
};

/** Defaults are the LeNet-5 walkthrough: Resize 32x32, Rescale(1/(255*0.3081), -0.1307/0.3081), TypeCast float32, shuffle 10000, batch 32 drop_remainder. */
export type PipelineInput = {
  batchSize?: number | null | undefined;
  dropRemainder?: boolean | null | undefined;
  map?: Array<MapOpInput> | null | undefined;
  /** repeat(count): passes over the data per epoch */
  repeat?: number | null | undefined;
  /** shuffle(buffer_size); 0 turns shuffling off */
  shuffleBufferSize?: number | null | undefined;
};

/** Teams: OWNER > ADMIN > MEMBER > VIEWER. Courses: INSTRUCTOR (as OWNER) > ASSISTANT (as ADMIN) > STUDENT (as MEMBER). */
export type Role =
  | 'ADMIN'
  | 'ASSISTANT'
  | 'INSTRUCTOR'
  | 'MEMBER'
  | 'OWNER'
  | 'STUDENT'
  | 'VIEWER';

/** Learning-rate schedule (constant, step, exponential, cosine), each with an optional linear warm-up; counted in steps. */
export type ScheduleInput = {
  /** exponential: gamma per decaySteps; cosine: horizon (default the rest of the run) */
  decaySteps?: number | null | undefined;
  /** step, exponential: decay factor in (0, 1] */
  gamma?: number | null | undefined;
  /** cosine: final learning rate */
  minLearningRate?: number | null | undefined;
  name: string;
  /** step: decay every stepSize steps */
  stepSize?: number | null | undefined;
  warmupSteps?: number | null | undefined;
};

export type SubmitExperimentInput = {
  checkpoint?: CheckpointConfigInput | null | undefined;
  /** Clip gradients by this global norm. */
  clipGlobalNorm?: number | null | undefined;
  datasetId: string | number;
  /** The exact dataset version; default the dataset's newest READY version. */
  datasetVersionId?: string | number | null | undefined;
  earlyStopping?: EarlyStoppingInput | null | undefined;
  epochs: number;
  /** Retrying a submit with the same key returns the first experiment. */
  idempotencyKey?: string | null | undefined;
  /** L2 weight decay: l2/2·Σw² over kernels added to the loss. */
  l2?: number | null | undefined;
  loss?: LossInput | null | undefined;
  model: ModelInput;
  name: string;
  optimizer: OptimizerInput;
  /** LossMonitor: record the loss every N steps (default 10). */
  perPrintTimes?: number | null | undefined;
  pipeline?: PipelineInput | null | undefined;
  schedule?: ScheduleInput | null | undefined;
  /** Seeds weight init and shuffling (default 1). */
  seed?: number | null | undefined;
  /** End the run (checkpointed and evaluated) after this many seconds. */
  timeBudgetSeconds?: number | null | undefined;
  /** k of the top-k accuracy (default min(5, classes)). */
  topK?: number | null | undefined;
};

export type TeamKind =
  | 'COURSE'
  | 'TEAM';

export type UploadedPartInput = {
  /** The ETag header the part PUT answered with. */
  etag: string;
  partNumber: number;
};

export type ExportCheckpointMutationVariables = Exact<{
  checkpointId: string | number;
  format: ExportFormat;
}>;


export type ExportCheckpointMutation = { exportCheckpoint: { id: string, checkpointId: string, format: ExportFormat, status: ExportStatus, sizeBytes: number | null, sha256: string | null, opsetVersion: number | null, maxAbsDiff: number | null, failureReason: string | null, downloadUrl: string | null, createdAt: string, finishedAt: string | null } };

export type CheckpointExportQueryVariables = Exact<{
  id: string | number;
}>;


export type CheckpointExportQuery = { checkpointExport: { id: string, checkpointId: string, format: ExportFormat, status: ExportStatus, sizeBytes: number | null, sha256: string | null, opsetVersion: number | null, maxAbsDiff: number | null, failureReason: string | null, downloadUrl: string | null, createdAt: string, finishedAt: string | null } };

export type CreateDatasetMutationVariables = Exact<{
  name: string;
}>;


export type CreateDatasetMutation = { createDataset: { id: string, name: string, status: DatasetStatus, createdAt: string, imageShape: Array<number>, numClasses: number | null, trainCount: number | null, testCount: number | null, classHistogram: Array<number>, uploadUrl: string, currentVersion: { id: string, version: number, format: string, status: DatasetVersionStatus, failureReason: string | null, sampleShape: Array<number>, numClasses: number | null, classNames: Array<string>, trainCount: number | null, testCount: number | null, validationCount: number | null, options: unknown, ingest: unknown, uploadUrl: string, previewUrl: string, createdAt: string, readyAt: string | null, splits: Array<{ name: string, count: number, histogram: Array<number>, mean: Array<number>, std: Array<number> }>, sources: Array<{ name: string, status: string, bytesReceived: number, expectedBytes: number, progress: number | null, sha256: string | null }> } | null } };

export type CreateDatasetVersionMutationVariables = Exact<{
  datasetId: string | number;
  format: string;
  options?: unknown;
  split?: unknown;
}>;


export type CreateDatasetVersionMutation = { createDatasetVersion: { id: string, version: number, format: string, status: DatasetVersionStatus, failureReason: string | null, sampleShape: Array<number>, numClasses: number | null, classNames: Array<string>, trainCount: number | null, testCount: number | null, validationCount: number | null, options: unknown, ingest: unknown, uploadUrl: string, previewUrl: string, createdAt: string, readyAt: string | null, splits: Array<{ name: string, count: number, histogram: Array<number>, mean: Array<number>, std: Array<number> }>, sources: Array<{ name: string, status: string, bytesReceived: number, expectedBytes: number, progress: number | null, sha256: string | null }> } };

export type IngestDatasetVersionMutationVariables = Exact<{
  id: string | number;
}>;


export type IngestDatasetVersionMutation = { ingestDatasetVersion: { id: string, version: number, format: string, status: DatasetVersionStatus, failureReason: string | null, sampleShape: Array<number>, numClasses: number | null, classNames: Array<string>, trainCount: number | null, testCount: number | null, validationCount: number | null, options: unknown, ingest: unknown, uploadUrl: string, previewUrl: string, createdAt: string, readyAt: string | null, splits: Array<{ name: string, count: number, histogram: Array<number>, mean: Array<number>, std: Array<number> }>, sources: Array<{ name: string, status: string, bytesReceived: number, expectedBytes: number, progress: number | null, sha256: string | null }> } };

export type CreateSourceUploadMutationVariables = Exact<{
  versionId: string | number;
  name: string;
  sizeBytes: number;
  partSizeBytes?: number | null | undefined;
}>;


export type CreateSourceUploadMutation = { createSourceUpload: { uploadId: string, partSizeBytes: number, expiresAt: string, parts: Array<{ partNumber: number, url: string }> } };

export type CompleteSourceUploadMutationVariables = Exact<{
  versionId: string | number;
  name: string;
  parts: Array<UploadedPartInput> | UploadedPartInput;
}>;


export type CompleteSourceUploadMutation = { completeSourceUpload: { id: string, version: number, format: string, status: DatasetVersionStatus, failureReason: string | null, sampleShape: Array<number>, numClasses: number | null, classNames: Array<string>, trainCount: number | null, testCount: number | null, validationCount: number | null, options: unknown, ingest: unknown, uploadUrl: string, previewUrl: string, createdAt: string, readyAt: string | null, splits: Array<{ name: string, count: number, histogram: Array<number>, mean: Array<number>, std: Array<number> }>, sources: Array<{ name: string, status: string, bytesReceived: number, expectedBytes: number, progress: number | null, sha256: string | null }> } };

export type DatasetQueryVariables = Exact<{
  id: string | number;
}>;


export type DatasetQuery = { dataset: { id: string, name: string, status: DatasetStatus, createdAt: string, imageShape: Array<number>, numClasses: number | null, trainCount: number | null, testCount: number | null, classHistogram: Array<number>, uploadUrl: string, versions: Array<{ id: string, version: number, format: string, status: DatasetVersionStatus, createdAt: string }>, currentVersion: { id: string, version: number, format: string, status: DatasetVersionStatus, failureReason: string | null, sampleShape: Array<number>, numClasses: number | null, classNames: Array<string>, trainCount: number | null, testCount: number | null, validationCount: number | null, options: unknown, ingest: unknown, uploadUrl: string, previewUrl: string, createdAt: string, readyAt: string | null, splits: Array<{ name: string, count: number, histogram: Array<number>, mean: Array<number>, std: Array<number> }>, sources: Array<{ name: string, status: string, bytesReceived: number, expectedBytes: number, progress: number | null, sha256: string | null }> } | null } };

export type DatasetVersionQueryVariables = Exact<{
  id: string | number;
}>;


export type DatasetVersionQuery = { datasetVersion: { id: string, version: number, format: string, status: DatasetVersionStatus, failureReason: string | null, sampleShape: Array<number>, numClasses: number | null, classNames: Array<string>, trainCount: number | null, testCount: number | null, validationCount: number | null, options: unknown, ingest: unknown, uploadUrl: string, previewUrl: string, createdAt: string, readyAt: string | null, splits: Array<{ name: string, count: number, histogram: Array<number>, mean: Array<number>, std: Array<number> }>, sources: Array<{ name: string, status: string, bytesReceived: number, expectedBytes: number, progress: number | null, sha256: string | null }> } };

export type DatasetsQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
  filter?: DatasetFilter | null | undefined;
}>;


export type DatasetsQuery = { datasets: { totalCount: number, edges: Array<{ cursor: string, node: { id: string, name: string, status: DatasetStatus, createdAt: string, imageShape: Array<number>, numClasses: number | null, trainCount: number | null, testCount: number | null, currentVersion: { id: string, version: number, format: string, status: DatasetVersionStatus, sampleShape: Array<number>, classNames: Array<string> } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type DeployCheckpointMutationVariables = Exact<{
  checkpointId: string | number;
  name: string;
  options?: DeployOptionsInput | null | undefined;
}>;


export type DeployCheckpointMutation = { deployCheckpoint: { id: string, name: string, version: number, isDefault: boolean, labels: Array<string>, checkpointId: string, experimentId: string, step: number, predictUrl: string, inferUrl: string, deployedBy: string | null, maxBatchSize: number, maxBatchWaitMs: number, createdAt: string } };

export type DeploymentsQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
}>;


export type DeploymentsQuery = { deployments: { totalCount: number, edges: Array<{ cursor: string, node: { id: string, name: string, version: number, isDefault: boolean, labels: Array<string>, checkpointId: string, experimentId: string, step: number, predictUrl: string, inferUrl: string, deployedBy: string | null, maxBatchSize: number, maxBatchWaitMs: number, createdAt: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ModelsQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type ModelsQuery = { models: { totalCount: number, edges: Array<{ cursor: string, node: { id: string, name: string, defaultVersion: number | null, labels: Array<{ label: string, version: number }>, trafficSplit: { version: number, percent: number } | null, versions: Array<{ id: string, name: string, version: number, isDefault: boolean, labels: Array<string>, checkpointId: string, experimentId: string, step: number, predictUrl: string, inferUrl: string, deployedBy: string | null, maxBatchSize: number, maxBatchWaitMs: number, createdAt: string }> } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ServedModelFieldsFragment = { id: string, name: string, defaultVersion: number | null, labels: Array<{ label: string, version: number }>, trafficSplit: { version: number, percent: number } | null, versions: Array<{ id: string, name: string, version: number, isDefault: boolean, labels: Array<string>, checkpointId: string, experimentId: string, step: number, predictUrl: string, inferUrl: string, deployedBy: string | null, maxBatchSize: number, maxBatchWaitMs: number, createdAt: string }> };

export type SubmitExperimentMutationVariables = Exact<{
  input: SubmitExperimentInput;
}>;


export type SubmitExperimentMutation = { submitExperiment: { spec: unknown, id: string, name: string, status: ExperimentStatus, attempt: number, backend: string | null, cancelRequested: boolean, failureReason: string | null, datasetId: string, datasetVersionId: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, metrics: { accuracy: number, loss: number, precision: number, recall: number, f1: number, topK: number | null, topKAccuracy: number | null, confusionMatrix: Array<Array<number>>, perClass: Array<{ name: string | null, precision: number, recall: number, f1: number, support: number }> } | null, checkpoints: Array<{ id: string, step: number, epoch: number, sizeBytes: number, downloadUrl: string, createdAt: string }>, progress: { epoch: number, step: number, totalSteps: number, samplesPerSecond: number | null } } };

export type CancelExperimentMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelExperimentMutation = { cancelExperiment: { id: string, name: string, status: ExperimentStatus, attempt: number, backend: string | null, cancelRequested: boolean, failureReason: string | null, datasetId: string, datasetVersionId: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, progress: { epoch: number, step: number, totalSteps: number, samplesPerSecond: number | null } } };

export type ResumeExperimentMutationVariables = Exact<{
  id: string | number;
}>;


export type ResumeExperimentMutation = { resumeExperiment: { id: string, name: string, status: ExperimentStatus, attempt: number, backend: string | null, cancelRequested: boolean, failureReason: string | null, datasetId: string, datasetVersionId: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, progress: { epoch: number, step: number, totalSteps: number, samplesPerSecond: number | null } } };

export type ExperimentQueryVariables = Exact<{
  id: string | number;
}>;


export type ExperimentQuery = { experiment: { spec: unknown, id: string, name: string, status: ExperimentStatus, attempt: number, backend: string | null, cancelRequested: boolean, failureReason: string | null, datasetId: string, datasetVersionId: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, metrics: { accuracy: number, loss: number, precision: number, recall: number, f1: number, topK: number | null, topKAccuracy: number | null, confusionMatrix: Array<Array<number>>, perClass: Array<{ name: string | null, precision: number, recall: number, f1: number, support: number }> } | null, checkpoints: Array<{ id: string, step: number, epoch: number, sizeBytes: number, downloadUrl: string, createdAt: string }>, progress: { epoch: number, step: number, totalSteps: number, samplesPerSecond: number | null } } };

export type ExperimentStatusQueryVariables = Exact<{
  id: string | number;
}>;


export type ExperimentStatusQuery = { experiment: { id: string, name: string, status: ExperimentStatus, attempt: number, backend: string | null, cancelRequested: boolean, failureReason: string | null, datasetId: string, datasetVersionId: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, progress: { epoch: number, step: number, totalSteps: number, samplesPerSecond: number | null } } };

export type ExperimentLossPointsQueryVariables = Exact<{
  id: string | number;
  first: number;
  after?: string | null | undefined;
}>;


export type ExperimentLossPointsQuery = { experiment: { id: string, lossPoints: { totalCount: number, edges: Array<{ cursor: string, node: { step: number, epoch: number, loss: number, lr: number | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } } };

export type ExperimentsQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
  filter?: ExperimentFilter | null | undefined;
}>;


export type ExperimentsQuery = { experiments: { totalCount: number, edges: Array<{ cursor: string, node: { id: string, name: string, status: ExperimentStatus, attempt: number, backend: string | null, cancelRequested: boolean, failureReason: string | null, datasetId: string, datasetVersionId: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, progress: { epoch: number, step: number, totalSteps: number, samplesPerSecond: number | null } } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type DatasetSourceFieldsFragment = { name: string, status: string, bytesReceived: number, expectedBytes: number, progress: number | null, sha256: string | null };

export type DatasetSplitFieldsFragment = { name: string, count: number, histogram: Array<number>, mean: Array<number>, std: Array<number> };

export type DatasetVersionFieldsFragment = { id: string, version: number, format: string, status: DatasetVersionStatus, failureReason: string | null, sampleShape: Array<number>, numClasses: number | null, classNames: Array<string>, trainCount: number | null, testCount: number | null, validationCount: number | null, options: unknown, ingest: unknown, uploadUrl: string, previewUrl: string, createdAt: string, readyAt: string | null, splits: Array<{ name: string, count: number, histogram: Array<number>, mean: Array<number>, std: Array<number> }>, sources: Array<{ name: string, status: string, bytesReceived: number, expectedBytes: number, progress: number | null, sha256: string | null }> };

export type DatasetFieldsFragment = { id: string, name: string, status: DatasetStatus, createdAt: string, imageShape: Array<number>, numClasses: number | null, trainCount: number | null, testCount: number | null, classHistogram: Array<number>, uploadUrl: string, currentVersion: { id: string, version: number, format: string, status: DatasetVersionStatus, failureReason: string | null, sampleShape: Array<number>, numClasses: number | null, classNames: Array<string>, trainCount: number | null, testCount: number | null, validationCount: number | null, options: unknown, ingest: unknown, uploadUrl: string, previewUrl: string, createdAt: string, readyAt: string | null, splits: Array<{ name: string, count: number, histogram: Array<number>, mean: Array<number>, std: Array<number> }>, sources: Array<{ name: string, status: string, bytesReceived: number, expectedBytes: number, progress: number | null, sha256: string | null }> } | null };

export type ProgressFieldsFragment = { epoch: number, step: number, totalSteps: number, samplesPerSecond: number | null };

export type LossPointFieldsFragment = { step: number, epoch: number, loss: number, lr: number | null };

export type CheckpointExportFieldsFragment = { id: string, checkpointId: string, format: ExportFormat, status: ExportStatus, sizeBytes: number | null, sha256: string | null, opsetVersion: number | null, maxAbsDiff: number | null, failureReason: string | null, downloadUrl: string | null, createdAt: string, finishedAt: string | null };

export type CheckpointFieldsFragment = { id: string, step: number, epoch: number, sizeBytes: number, downloadUrl: string, createdAt: string };

export type MetricsFieldsFragment = { accuracy: number, loss: number, precision: number, recall: number, f1: number, topK: number | null, topKAccuracy: number | null, confusionMatrix: Array<Array<number>>, perClass: Array<{ name: string | null, precision: number, recall: number, f1: number, support: number }> };

export type ExperimentSummaryFieldsFragment = { id: string, name: string, status: ExperimentStatus, attempt: number, backend: string | null, cancelRequested: boolean, failureReason: string | null, datasetId: string, datasetVersionId: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, progress: { epoch: number, step: number, totalSteps: number, samplesPerSecond: number | null } };

export type ExperimentFieldsFragment = { spec: unknown, id: string, name: string, status: ExperimentStatus, attempt: number, backend: string | null, cancelRequested: boolean, failureReason: string | null, datasetId: string, datasetVersionId: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, metrics: { accuracy: number, loss: number, precision: number, recall: number, f1: number, topK: number | null, topKAccuracy: number | null, confusionMatrix: Array<Array<number>>, perClass: Array<{ name: string | null, precision: number, recall: number, f1: number, support: number }> } | null, checkpoints: Array<{ id: string, step: number, epoch: number, sizeBytes: number, downloadUrl: string, createdAt: string }>, progress: { epoch: number, step: number, totalSteps: number, samplesPerSecond: number | null } };

export type DeploymentFieldsFragment = { id: string, name: string, version: number, isDefault: boolean, labels: Array<string>, checkpointId: string, experimentId: string, step: number, predictUrl: string, inferUrl: string, deployedBy: string | null, maxBatchSize: number, maxBatchWaitMs: number, createdAt: string };

export type PageInfoFieldsFragment = { hasNextPage: boolean, endCursor: string | null };

export type DatasetListFieldsFragment = { id: string, name: string, status: DatasetStatus, createdAt: string, imageShape: Array<number>, numClasses: number | null, trainCount: number | null, testCount: number | null, currentVersion: { id: string, version: number, format: string, status: DatasetVersionStatus, sampleShape: Array<number>, classNames: Array<string> } | null };

export type WhoamiQueryVariables = Exact<{ [key: string]: never; }>;


export type WhoamiQuery = { whoami: { role: Role, teamId: string, teamKind: TeamKind, teamName: string, user: { id: string, name: string } } };

export type ExperimentUpdatedSubscriptionVariables = Exact<{
  id: string | number;
}>;


export type ExperimentUpdatedSubscription = { experimentUpdated: { id: string, name: string, status: ExperimentStatus, attempt: number, backend: string | null, cancelRequested: boolean, failureReason: string | null, datasetId: string, datasetVersionId: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, progress: { epoch: number, step: number, totalSteps: number, samplesPerSecond: number | null } } };

export type LossPointsAddedSubscriptionVariables = Exact<{
  experimentId: string | number;
}>;


export type LossPointsAddedSubscription = { lossPointsAdded: Array<{ step: number, epoch: number, loss: number, lr: number | null }> };

export type DatasetVersionUpdatedSubscriptionVariables = Exact<{
  id: string | number;
}>;


export type DatasetVersionUpdatedSubscription = { datasetVersionUpdated: { id: string, version: number, format: string, status: DatasetVersionStatus, failureReason: string | null, sampleShape: Array<number>, numClasses: number | null, classNames: Array<string>, trainCount: number | null, testCount: number | null, validationCount: number | null, options: unknown, ingest: unknown, uploadUrl: string, previewUrl: string, createdAt: string, readyAt: string | null, splits: Array<{ name: string, count: number, histogram: Array<number>, mean: Array<number>, std: Array<number> }>, sources: Array<{ name: string, status: string, bytesReceived: number, expectedBytes: number, progress: number | null, sha256: string | null }> } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const DeploymentFieldsFragmentDoc = new TypedDocumentString(`
    fragment DeploymentFields on Deployment {
  id
  name
  version
  isDefault
  labels
  checkpointId
  experimentId
  step
  predictUrl
  inferUrl
  deployedBy
  maxBatchSize
  maxBatchWaitMs
  createdAt
}
    `, {"fragmentName":"DeploymentFields"}) as unknown as TypedDocumentString<DeploymentFieldsFragment, unknown>;
export const ServedModelFieldsFragmentDoc = new TypedDocumentString(`
    fragment ServedModelFields on ServedModel {
  id
  name
  defaultVersion
  labels {
    label
    version
  }
  trafficSplit {
    version
    percent
  }
  versions {
    ...DeploymentFields
  }
}
    fragment DeploymentFields on Deployment {
  id
  name
  version
  isDefault
  labels
  checkpointId
  experimentId
  step
  predictUrl
  inferUrl
  deployedBy
  maxBatchSize
  maxBatchWaitMs
  createdAt
}`, {"fragmentName":"ServedModelFields"}) as unknown as TypedDocumentString<ServedModelFieldsFragment, unknown>;
export const DatasetSplitFieldsFragmentDoc = new TypedDocumentString(`
    fragment DatasetSplitFields on DatasetSplit {
  name
  count
  histogram
  mean
  std
}
    `, {"fragmentName":"DatasetSplitFields"}) as unknown as TypedDocumentString<DatasetSplitFieldsFragment, unknown>;
export const DatasetSourceFieldsFragmentDoc = new TypedDocumentString(`
    fragment DatasetSourceFields on DatasetSource {
  name
  status
  bytesReceived
  expectedBytes
  progress
  sha256
}
    `, {"fragmentName":"DatasetSourceFields"}) as unknown as TypedDocumentString<DatasetSourceFieldsFragment, unknown>;
export const DatasetVersionFieldsFragmentDoc = new TypedDocumentString(`
    fragment DatasetVersionFields on DatasetVersion {
  id
  version
  format
  status
  failureReason
  sampleShape
  numClasses
  classNames
  trainCount
  testCount
  validationCount
  options
  ingest
  uploadUrl
  previewUrl
  createdAt
  readyAt
  splits {
    ...DatasetSplitFields
  }
  sources {
    ...DatasetSourceFields
  }
}
    fragment DatasetSourceFields on DatasetSource {
  name
  status
  bytesReceived
  expectedBytes
  progress
  sha256
}
fragment DatasetSplitFields on DatasetSplit {
  name
  count
  histogram
  mean
  std
}`, {"fragmentName":"DatasetVersionFields"}) as unknown as TypedDocumentString<DatasetVersionFieldsFragment, unknown>;
export const DatasetFieldsFragmentDoc = new TypedDocumentString(`
    fragment DatasetFields on Dataset {
  id
  name
  status
  createdAt
  imageShape
  numClasses
  trainCount
  testCount
  classHistogram
  uploadUrl
  currentVersion {
    ...DatasetVersionFields
  }
}
    fragment DatasetSourceFields on DatasetSource {
  name
  status
  bytesReceived
  expectedBytes
  progress
  sha256
}
fragment DatasetSplitFields on DatasetSplit {
  name
  count
  histogram
  mean
  std
}
fragment DatasetVersionFields on DatasetVersion {
  id
  version
  format
  status
  failureReason
  sampleShape
  numClasses
  classNames
  trainCount
  testCount
  validationCount
  options
  ingest
  uploadUrl
  previewUrl
  createdAt
  readyAt
  splits {
    ...DatasetSplitFields
  }
  sources {
    ...DatasetSourceFields
  }
}`, {"fragmentName":"DatasetFields"}) as unknown as TypedDocumentString<DatasetFieldsFragment, unknown>;
export const LossPointFieldsFragmentDoc = new TypedDocumentString(`
    fragment LossPointFields on LossPoint {
  step
  epoch
  loss
  lr
}
    `, {"fragmentName":"LossPointFields"}) as unknown as TypedDocumentString<LossPointFieldsFragment, unknown>;
export const CheckpointExportFieldsFragmentDoc = new TypedDocumentString(`
    fragment CheckpointExportFields on CheckpointExport {
  id
  checkpointId
  format
  status
  sizeBytes
  sha256
  opsetVersion
  maxAbsDiff
  failureReason
  downloadUrl
  createdAt
  finishedAt
}
    `, {"fragmentName":"CheckpointExportFields"}) as unknown as TypedDocumentString<CheckpointExportFieldsFragment, unknown>;
export const ProgressFieldsFragmentDoc = new TypedDocumentString(`
    fragment ProgressFields on Progress {
  epoch
  step
  totalSteps
  samplesPerSecond
}
    `, {"fragmentName":"ProgressFields"}) as unknown as TypedDocumentString<ProgressFieldsFragment, unknown>;
export const ExperimentSummaryFieldsFragmentDoc = new TypedDocumentString(`
    fragment ExperimentSummaryFields on Experiment {
  id
  name
  status
  attempt
  backend
  cancelRequested
  failureReason
  datasetId
  datasetVersionId
  createdAt
  startedAt
  finishedAt
  progress {
    ...ProgressFields
  }
}
    fragment ProgressFields on Progress {
  epoch
  step
  totalSteps
  samplesPerSecond
}`, {"fragmentName":"ExperimentSummaryFields"}) as unknown as TypedDocumentString<ExperimentSummaryFieldsFragment, unknown>;
export const MetricsFieldsFragmentDoc = new TypedDocumentString(`
    fragment MetricsFields on EvalMetrics {
  accuracy
  loss
  precision
  recall
  f1
  topK
  topKAccuracy
  confusionMatrix
  perClass {
    name
    precision
    recall
    f1
    support
  }
}
    `, {"fragmentName":"MetricsFields"}) as unknown as TypedDocumentString<MetricsFieldsFragment, unknown>;
export const CheckpointFieldsFragmentDoc = new TypedDocumentString(`
    fragment CheckpointFields on Checkpoint {
  id
  step
  epoch
  sizeBytes
  downloadUrl
  createdAt
}
    `, {"fragmentName":"CheckpointFields"}) as unknown as TypedDocumentString<CheckpointFieldsFragment, unknown>;
export const ExperimentFieldsFragmentDoc = new TypedDocumentString(`
    fragment ExperimentFields on Experiment {
  ...ExperimentSummaryFields
  spec
  metrics {
    ...MetricsFields
  }
  checkpoints {
    ...CheckpointFields
  }
}
    fragment ProgressFields on Progress {
  epoch
  step
  totalSteps
  samplesPerSecond
}
fragment CheckpointFields on Checkpoint {
  id
  step
  epoch
  sizeBytes
  downloadUrl
  createdAt
}
fragment MetricsFields on EvalMetrics {
  accuracy
  loss
  precision
  recall
  f1
  topK
  topKAccuracy
  confusionMatrix
  perClass {
    name
    precision
    recall
    f1
    support
  }
}
fragment ExperimentSummaryFields on Experiment {
  id
  name
  status
  attempt
  backend
  cancelRequested
  failureReason
  datasetId
  datasetVersionId
  createdAt
  startedAt
  finishedAt
  progress {
    ...ProgressFields
  }
}`, {"fragmentName":"ExperimentFields"}) as unknown as TypedDocumentString<ExperimentFieldsFragment, unknown>;
export const PageInfoFieldsFragmentDoc = new TypedDocumentString(`
    fragment PageInfoFields on PageInfo {
  hasNextPage
  endCursor
}
    `, {"fragmentName":"PageInfoFields"}) as unknown as TypedDocumentString<PageInfoFieldsFragment, unknown>;
export const DatasetListFieldsFragmentDoc = new TypedDocumentString(`
    fragment DatasetListFields on Dataset {
  id
  name
  status
  createdAt
  imageShape
  numClasses
  trainCount
  testCount
  currentVersion {
    id
    version
    format
    status
    sampleShape
    classNames
  }
}
    `, {"fragmentName":"DatasetListFields"}) as unknown as TypedDocumentString<DatasetListFieldsFragment, unknown>;
export const ExportCheckpointDocument = new TypedDocumentString(`
    mutation ExportCheckpoint($checkpointId: ID!, $format: ExportFormat!) {
  exportCheckpoint(checkpointId: $checkpointId, format: $format) {
    ...CheckpointExportFields
  }
}
    fragment CheckpointExportFields on CheckpointExport {
  id
  checkpointId
  format
  status
  sizeBytes
  sha256
  opsetVersion
  maxAbsDiff
  failureReason
  downloadUrl
  createdAt
  finishedAt
}`) as unknown as TypedDocumentString<ExportCheckpointMutation, ExportCheckpointMutationVariables>;
export const CheckpointExportDocument = new TypedDocumentString(`
    query CheckpointExport($id: ID!) {
  checkpointExport(id: $id) {
    ...CheckpointExportFields
  }
}
    fragment CheckpointExportFields on CheckpointExport {
  id
  checkpointId
  format
  status
  sizeBytes
  sha256
  opsetVersion
  maxAbsDiff
  failureReason
  downloadUrl
  createdAt
  finishedAt
}`) as unknown as TypedDocumentString<CheckpointExportQuery, CheckpointExportQueryVariables>;
export const CreateDatasetDocument = new TypedDocumentString(`
    mutation CreateDataset($name: String!) {
  createDataset(name: $name) {
    ...DatasetFields
  }
}
    fragment DatasetSourceFields on DatasetSource {
  name
  status
  bytesReceived
  expectedBytes
  progress
  sha256
}
fragment DatasetSplitFields on DatasetSplit {
  name
  count
  histogram
  mean
  std
}
fragment DatasetVersionFields on DatasetVersion {
  id
  version
  format
  status
  failureReason
  sampleShape
  numClasses
  classNames
  trainCount
  testCount
  validationCount
  options
  ingest
  uploadUrl
  previewUrl
  createdAt
  readyAt
  splits {
    ...DatasetSplitFields
  }
  sources {
    ...DatasetSourceFields
  }
}
fragment DatasetFields on Dataset {
  id
  name
  status
  createdAt
  imageShape
  numClasses
  trainCount
  testCount
  classHistogram
  uploadUrl
  currentVersion {
    ...DatasetVersionFields
  }
}`) as unknown as TypedDocumentString<CreateDatasetMutation, CreateDatasetMutationVariables>;
export const CreateDatasetVersionDocument = new TypedDocumentString(`
    mutation CreateDatasetVersion($datasetId: ID!, $format: String!, $options: JSON, $split: JSON) {
  createDatasetVersion(
    datasetId: $datasetId
    format: $format
    options: $options
    split: $split
  ) {
    ...DatasetVersionFields
  }
}
    fragment DatasetSourceFields on DatasetSource {
  name
  status
  bytesReceived
  expectedBytes
  progress
  sha256
}
fragment DatasetSplitFields on DatasetSplit {
  name
  count
  histogram
  mean
  std
}
fragment DatasetVersionFields on DatasetVersion {
  id
  version
  format
  status
  failureReason
  sampleShape
  numClasses
  classNames
  trainCount
  testCount
  validationCount
  options
  ingest
  uploadUrl
  previewUrl
  createdAt
  readyAt
  splits {
    ...DatasetSplitFields
  }
  sources {
    ...DatasetSourceFields
  }
}`) as unknown as TypedDocumentString<CreateDatasetVersionMutation, CreateDatasetVersionMutationVariables>;
export const IngestDatasetVersionDocument = new TypedDocumentString(`
    mutation IngestDatasetVersion($id: ID!) {
  ingestDatasetVersion(id: $id) {
    ...DatasetVersionFields
  }
}
    fragment DatasetSourceFields on DatasetSource {
  name
  status
  bytesReceived
  expectedBytes
  progress
  sha256
}
fragment DatasetSplitFields on DatasetSplit {
  name
  count
  histogram
  mean
  std
}
fragment DatasetVersionFields on DatasetVersion {
  id
  version
  format
  status
  failureReason
  sampleShape
  numClasses
  classNames
  trainCount
  testCount
  validationCount
  options
  ingest
  uploadUrl
  previewUrl
  createdAt
  readyAt
  splits {
    ...DatasetSplitFields
  }
  sources {
    ...DatasetSourceFields
  }
}`) as unknown as TypedDocumentString<IngestDatasetVersionMutation, IngestDatasetVersionMutationVariables>;
export const CreateSourceUploadDocument = new TypedDocumentString(`
    mutation CreateSourceUpload($versionId: ID!, $name: String!, $sizeBytes: Float!, $partSizeBytes: Float) {
  createSourceUpload(
    versionId: $versionId
    name: $name
    sizeBytes: $sizeBytes
    partSizeBytes: $partSizeBytes
  ) {
    uploadId
    partSizeBytes
    expiresAt
    parts {
      partNumber
      url
    }
  }
}
    `) as unknown as TypedDocumentString<CreateSourceUploadMutation, CreateSourceUploadMutationVariables>;
export const CompleteSourceUploadDocument = new TypedDocumentString(`
    mutation CompleteSourceUpload($versionId: ID!, $name: String!, $parts: [UploadedPartInput!]!) {
  completeSourceUpload(versionId: $versionId, name: $name, parts: $parts) {
    ...DatasetVersionFields
  }
}
    fragment DatasetSourceFields on DatasetSource {
  name
  status
  bytesReceived
  expectedBytes
  progress
  sha256
}
fragment DatasetSplitFields on DatasetSplit {
  name
  count
  histogram
  mean
  std
}
fragment DatasetVersionFields on DatasetVersion {
  id
  version
  format
  status
  failureReason
  sampleShape
  numClasses
  classNames
  trainCount
  testCount
  validationCount
  options
  ingest
  uploadUrl
  previewUrl
  createdAt
  readyAt
  splits {
    ...DatasetSplitFields
  }
  sources {
    ...DatasetSourceFields
  }
}`) as unknown as TypedDocumentString<CompleteSourceUploadMutation, CompleteSourceUploadMutationVariables>;
export const DatasetDocument = new TypedDocumentString(`
    query Dataset($id: ID!) {
  dataset(id: $id) {
    ...DatasetFields
    versions {
      id
      version
      format
      status
      createdAt
    }
  }
}
    fragment DatasetSourceFields on DatasetSource {
  name
  status
  bytesReceived
  expectedBytes
  progress
  sha256
}
fragment DatasetSplitFields on DatasetSplit {
  name
  count
  histogram
  mean
  std
}
fragment DatasetVersionFields on DatasetVersion {
  id
  version
  format
  status
  failureReason
  sampleShape
  numClasses
  classNames
  trainCount
  testCount
  validationCount
  options
  ingest
  uploadUrl
  previewUrl
  createdAt
  readyAt
  splits {
    ...DatasetSplitFields
  }
  sources {
    ...DatasetSourceFields
  }
}
fragment DatasetFields on Dataset {
  id
  name
  status
  createdAt
  imageShape
  numClasses
  trainCount
  testCount
  classHistogram
  uploadUrl
  currentVersion {
    ...DatasetVersionFields
  }
}`) as unknown as TypedDocumentString<DatasetQuery, DatasetQueryVariables>;
export const DatasetVersionDocument = new TypedDocumentString(`
    query DatasetVersion($id: ID!) {
  datasetVersion(id: $id) {
    ...DatasetVersionFields
  }
}
    fragment DatasetSourceFields on DatasetSource {
  name
  status
  bytesReceived
  expectedBytes
  progress
  sha256
}
fragment DatasetSplitFields on DatasetSplit {
  name
  count
  histogram
  mean
  std
}
fragment DatasetVersionFields on DatasetVersion {
  id
  version
  format
  status
  failureReason
  sampleShape
  numClasses
  classNames
  trainCount
  testCount
  validationCount
  options
  ingest
  uploadUrl
  previewUrl
  createdAt
  readyAt
  splits {
    ...DatasetSplitFields
  }
  sources {
    ...DatasetSourceFields
  }
}`) as unknown as TypedDocumentString<DatasetVersionQuery, DatasetVersionQueryVariables>;
export const DatasetsDocument = new TypedDocumentString(`
    query Datasets($first: Int!, $after: String, $filter: DatasetFilter) {
  datasets(first: $first, after: $after, filter: $filter) {
    edges {
      cursor
      node {
        ...DatasetListFields
      }
    }
    pageInfo {
      ...PageInfoFields
    }
    totalCount
  }
}
    fragment PageInfoFields on PageInfo {
  hasNextPage
  endCursor
}
fragment DatasetListFields on Dataset {
  id
  name
  status
  createdAt
  imageShape
  numClasses
  trainCount
  testCount
  currentVersion {
    id
    version
    format
    status
    sampleShape
    classNames
  }
}`) as unknown as TypedDocumentString<DatasetsQuery, DatasetsQueryVariables>;
export const DeployCheckpointDocument = new TypedDocumentString(`
    mutation DeployCheckpoint($checkpointId: ID!, $name: String!, $options: DeployOptionsInput) {
  deployCheckpoint(checkpointId: $checkpointId, name: $name, options: $options) {
    ...DeploymentFields
  }
}
    fragment DeploymentFields on Deployment {
  id
  name
  version
  isDefault
  labels
  checkpointId
  experimentId
  step
  predictUrl
  inferUrl
  deployedBy
  maxBatchSize
  maxBatchWaitMs
  createdAt
}`) as unknown as TypedDocumentString<DeployCheckpointMutation, DeployCheckpointMutationVariables>;
export const DeploymentsDocument = new TypedDocumentString(`
    query Deployments($first: Int!, $after: String) {
  deployments(first: $first, after: $after) {
    edges {
      cursor
      node {
        ...DeploymentFields
      }
    }
    pageInfo {
      ...PageInfoFields
    }
    totalCount
  }
}
    fragment DeploymentFields on Deployment {
  id
  name
  version
  isDefault
  labels
  checkpointId
  experimentId
  step
  predictUrl
  inferUrl
  deployedBy
  maxBatchSize
  maxBatchWaitMs
  createdAt
}
fragment PageInfoFields on PageInfo {
  hasNextPage
  endCursor
}`) as unknown as TypedDocumentString<DeploymentsQuery, DeploymentsQueryVariables>;
export const ModelsDocument = new TypedDocumentString(`
    query Models($after: String) {
  models(first: 20, after: $after) {
    edges {
      cursor
      node {
        ...ServedModelFields
      }
    }
    pageInfo {
      ...PageInfoFields
    }
    totalCount
  }
}
    fragment ServedModelFields on ServedModel {
  id
  name
  defaultVersion
  labels {
    label
    version
  }
  trafficSplit {
    version
    percent
  }
  versions {
    ...DeploymentFields
  }
}
fragment DeploymentFields on Deployment {
  id
  name
  version
  isDefault
  labels
  checkpointId
  experimentId
  step
  predictUrl
  inferUrl
  deployedBy
  maxBatchSize
  maxBatchWaitMs
  createdAt
}
fragment PageInfoFields on PageInfo {
  hasNextPage
  endCursor
}`) as unknown as TypedDocumentString<ModelsQuery, ModelsQueryVariables>;
export const SubmitExperimentDocument = new TypedDocumentString(`
    mutation SubmitExperiment($input: SubmitExperimentInput!) {
  submitExperiment(input: $input) {
    ...ExperimentFields
  }
}
    fragment ProgressFields on Progress {
  epoch
  step
  totalSteps
  samplesPerSecond
}
fragment CheckpointFields on Checkpoint {
  id
  step
  epoch
  sizeBytes
  downloadUrl
  createdAt
}
fragment MetricsFields on EvalMetrics {
  accuracy
  loss
  precision
  recall
  f1
  topK
  topKAccuracy
  confusionMatrix
  perClass {
    name
    precision
    recall
    f1
    support
  }
}
fragment ExperimentSummaryFields on Experiment {
  id
  name
  status
  attempt
  backend
  cancelRequested
  failureReason
  datasetId
  datasetVersionId
  createdAt
  startedAt
  finishedAt
  progress {
    ...ProgressFields
  }
}
fragment ExperimentFields on Experiment {
  ...ExperimentSummaryFields
  spec
  metrics {
    ...MetricsFields
  }
  checkpoints {
    ...CheckpointFields
  }
}`) as unknown as TypedDocumentString<SubmitExperimentMutation, SubmitExperimentMutationVariables>;
export const CancelExperimentDocument = new TypedDocumentString(`
    mutation CancelExperiment($id: ID!) {
  cancelExperiment(id: $id) {
    ...ExperimentSummaryFields
  }
}
    fragment ProgressFields on Progress {
  epoch
  step
  totalSteps
  samplesPerSecond
}
fragment ExperimentSummaryFields on Experiment {
  id
  name
  status
  attempt
  backend
  cancelRequested
  failureReason
  datasetId
  datasetVersionId
  createdAt
  startedAt
  finishedAt
  progress {
    ...ProgressFields
  }
}`) as unknown as TypedDocumentString<CancelExperimentMutation, CancelExperimentMutationVariables>;
export const ResumeExperimentDocument = new TypedDocumentString(`
    mutation ResumeExperiment($id: ID!) {
  resumeExperiment(id: $id) {
    ...ExperimentSummaryFields
  }
}
    fragment ProgressFields on Progress {
  epoch
  step
  totalSteps
  samplesPerSecond
}
fragment ExperimentSummaryFields on Experiment {
  id
  name
  status
  attempt
  backend
  cancelRequested
  failureReason
  datasetId
  datasetVersionId
  createdAt
  startedAt
  finishedAt
  progress {
    ...ProgressFields
  }
}`) as unknown as TypedDocumentString<ResumeExperimentMutation, ResumeExperimentMutationVariables>;
export const ExperimentDocument = new TypedDocumentString(`
    query Experiment($id: ID!) {
  experiment(id: $id) {
    ...ExperimentFields
  }
}
    fragment ProgressFields on Progress {
  epoch
  step
  totalSteps
  samplesPerSecond
}
fragment CheckpointFields on Checkpoint {
  id
  step
  epoch
  sizeBytes
  downloadUrl
  createdAt
}
fragment MetricsFields on EvalMetrics {
  accuracy
  loss
  precision
  recall
  f1
  topK
  topKAccuracy
  confusionMatrix
  perClass {
    name
    precision
    recall
    f1
    support
  }
}
fragment ExperimentSummaryFields on Experiment {
  id
  name
  status
  attempt
  backend
  cancelRequested
  failureReason
  datasetId
  datasetVersionId
  createdAt
  startedAt
  finishedAt
  progress {
    ...ProgressFields
  }
}
fragment ExperimentFields on Experiment {
  ...ExperimentSummaryFields
  spec
  metrics {
    ...MetricsFields
  }
  checkpoints {
    ...CheckpointFields
  }
}`) as unknown as TypedDocumentString<ExperimentQuery, ExperimentQueryVariables>;
export const ExperimentStatusDocument = new TypedDocumentString(`
    query ExperimentStatus($id: ID!) {
  experiment(id: $id) {
    ...ExperimentSummaryFields
  }
}
    fragment ProgressFields on Progress {
  epoch
  step
  totalSteps
  samplesPerSecond
}
fragment ExperimentSummaryFields on Experiment {
  id
  name
  status
  attempt
  backend
  cancelRequested
  failureReason
  datasetId
  datasetVersionId
  createdAt
  startedAt
  finishedAt
  progress {
    ...ProgressFields
  }
}`) as unknown as TypedDocumentString<ExperimentStatusQuery, ExperimentStatusQueryVariables>;
export const ExperimentLossPointsDocument = new TypedDocumentString(`
    query ExperimentLossPoints($id: ID!, $first: Int!, $after: String) {
  experiment(id: $id) {
    id
    lossPoints(first: $first, after: $after) {
      edges {
        cursor
        node {
          ...LossPointFields
        }
      }
      pageInfo {
        ...PageInfoFields
      }
      totalCount
    }
  }
}
    fragment LossPointFields on LossPoint {
  step
  epoch
  loss
  lr
}
fragment PageInfoFields on PageInfo {
  hasNextPage
  endCursor
}`) as unknown as TypedDocumentString<ExperimentLossPointsQuery, ExperimentLossPointsQueryVariables>;
export const ExperimentsDocument = new TypedDocumentString(`
    query Experiments($first: Int!, $after: String, $filter: ExperimentFilter) {
  experiments(first: $first, after: $after, filter: $filter) {
    edges {
      cursor
      node {
        ...ExperimentSummaryFields
      }
    }
    pageInfo {
      ...PageInfoFields
    }
    totalCount
  }
}
    fragment ProgressFields on Progress {
  epoch
  step
  totalSteps
  samplesPerSecond
}
fragment ExperimentSummaryFields on Experiment {
  id
  name
  status
  attempt
  backend
  cancelRequested
  failureReason
  datasetId
  datasetVersionId
  createdAt
  startedAt
  finishedAt
  progress {
    ...ProgressFields
  }
}
fragment PageInfoFields on PageInfo {
  hasNextPage
  endCursor
}`) as unknown as TypedDocumentString<ExperimentsQuery, ExperimentsQueryVariables>;
export const WhoamiDocument = new TypedDocumentString(`
    query Whoami {
  whoami {
    role
    teamId
    teamKind
    teamName
    user {
      id
      name
    }
  }
}
    `) as unknown as TypedDocumentString<WhoamiQuery, WhoamiQueryVariables>;
export const ExperimentUpdatedDocument = new TypedDocumentString(`
    subscription ExperimentUpdated($id: ID!) {
  experimentUpdated(id: $id) {
    ...ExperimentSummaryFields
  }
}
    fragment ProgressFields on Progress {
  epoch
  step
  totalSteps
  samplesPerSecond
}
fragment ExperimentSummaryFields on Experiment {
  id
  name
  status
  attempt
  backend
  cancelRequested
  failureReason
  datasetId
  datasetVersionId
  createdAt
  startedAt
  finishedAt
  progress {
    ...ProgressFields
  }
}`) as unknown as TypedDocumentString<ExperimentUpdatedSubscription, ExperimentUpdatedSubscriptionVariables>;
export const LossPointsAddedDocument = new TypedDocumentString(`
    subscription LossPointsAdded($experimentId: ID!) {
  lossPointsAdded(experimentId: $experimentId) {
    ...LossPointFields
  }
}
    fragment LossPointFields on LossPoint {
  step
  epoch
  loss
  lr
}`) as unknown as TypedDocumentString<LossPointsAddedSubscription, LossPointsAddedSubscriptionVariables>;
export const DatasetVersionUpdatedDocument = new TypedDocumentString(`
    subscription DatasetVersionUpdated($id: ID!) {
  datasetVersionUpdated(id: $id) {
    ...DatasetVersionFields
  }
}
    fragment DatasetSourceFields on DatasetSource {
  name
  status
  bytesReceived
  expectedBytes
  progress
  sha256
}
fragment DatasetSplitFields on DatasetSplit {
  name
  count
  histogram
  mean
  std
}
fragment DatasetVersionFields on DatasetVersion {
  id
  version
  format
  status
  failureReason
  sampleShape
  numClasses
  classNames
  trainCount
  testCount
  validationCount
  options
  ingest
  uploadUrl
  previewUrl
  createdAt
  readyAt
  splits {
    ...DatasetSplitFields
  }
  sources {
    ...DatasetSourceFields
  }
}`) as unknown as TypedDocumentString<DatasetVersionUpdatedSubscription, DatasetVersionUpdatedSubscriptionVariables>;