/**
 * @trainyard/engine: models, losses, optimizers, the training loop and its callbacks, checkpoints,
 * evaluation and prediction, on TensorFlow.js. Plain TypeScript: specs and batches in; weights,
 * checkpoints and metrics out. See README.md for the vocabulary.
 */
export { initBackend, BACKEND_PREFERENCES } from './backend';
export type { BackendPreference } from './backend';

export { buildModel, validateModelSpec, MODEL_NAMES } from './models';
export type { ModelSpec, ModelName } from './models';

export { softmaxCrossEntropy, makeLoss, validateLossSpec, DEFAULT_LOSS } from './losses';
export type { LossSpec, LossFn } from './losses';

export { buildOptimizer, validateOptimizerSpec, AdamWeightDecayOptimizer, OPTIMIZER_NAMES } from './optimizers';
export type { OptimizerSpec, OptimizerName } from './optimizers';

export { Trainer, resumePoint } from './trainer';
export type {
  TrainingCallback,
  StepLogs,
  EpochLogs,
  TrainBeginLogs,
  TrainEndLogs,
  FitOptions,
  FitResult,
  TrainerOptions,
} from './trainer';

export {
  LossMonitor,
  TerminateOnNaN,
  TrainingDivergedError,
  ModelCheckpoint,
  checkpointsToDelete,
} from './callbacks';
export type { LossReport, CheckpointMeta, ModelCheckpointOptions } from './callbacks';

export {
  saveCheckpoint,
  loadCheckpoint,
  restore,
  restoreModelWeights,
  modelFromCheckpoint,
  CheckpointFormatError,
} from './checkpoint';
export type { CheckpointInfo, CheckpointPosition, CheckpointHeader, LoadedCheckpoint, NamedArray } from './checkpoint';

export { evaluate, predictProbabilities } from './evaluate';
export type { EvaluationResult } from './evaluate';
export { metricsFromConfusion, accumulateConfusion, emptyConfusion, argmaxRows } from './metrics';
export type { ClassificationMetrics, ClassMetrics } from './metrics';

export type { Batch, BatchSource } from '@trainyard/common';

export { runTrainingThread } from './thread/runner';
export type { TrainHandlers, TrainingThread } from './thread/runner';
export type { TrainRequest, TrainResult, TrainingSpec, RawImageSplit } from './thread/protocol';

export { exportToOnnx, OnnxExportError, SUPPORTED_LAYERS, loadOnnxRuntime, tfjsRuntime, measureOnnxParity } from './onnx';
export type { OnnxExportOptions, OnnxModel, InferenceRuntime, OnnxRuntimeOptions, RuntimeKind } from './onnx';
