/**
 * @trainyard/engine: models, losses, optimizers, the training loop and its callbacks, checkpoints,
 * evaluation and prediction, on TensorFlow.js. Plain TypeScript: specs and batches in; weights,
 * checkpoints and metrics out. See README.md for the vocabulary.
 */
export { initBackend, BACKEND_PREFERENCES } from './backend';
export type { BackendPreference } from './backend';

export { buildModel, validateModelSpec, modelSummary, modelFromTopology, MODEL_NAMES } from './models';
export type { ModelSpec, ModelName } from './models';

export { softmaxCrossEntropy, makeLoss, perSampleLoss, validateLossSpec, DEFAULT_LOSS } from './losses';
export type { LossSpec, LossFn, ResolvedLossSpec } from './losses';

export {
  buildOptimizer,
  validateOptimizerSpec,
  AdamWeightDecayOptimizer,
  AdadeltaOptimizer,
  OPTIMIZER_NAMES,
  setLearningRate,
  learningRateOf,
} from './optimizers';
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
  ValidationLogs,
  LayerNorms,
  StopReason,
} from './trainer';

export {
  LossMonitor,
  TerminateOnNaN,
  TrainingDivergedError,
  ModelCheckpoint,
  EarlyStopping,
  TimeBudget,
  checkpointsToDelete,
  monitoredValue,
  epochSummaryData,
} from './callbacks';
export type { LossReport, CheckpointMeta, ModelCheckpointOptions, EpochSummaryData } from './callbacks';

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
export type { EvaluationResult, EvaluateOptions } from './evaluate';
export { metricsFromConfusion, accumulateConfusion, emptyConfusion, argmaxRows, topKCorrect, RegressionAccumulator } from './metrics';
export type { ClassificationMetrics, ClassMetrics, RegressionMetrics } from './metrics';

export type { Batch, BatchSource } from '@trainyard/common';

export { runTrainingThread, runEvaluationThread } from './thread/runner';
export type { TrainHandlers, TrainingThread, EvaluationThread } from './thread/runner';
export type { TrainRequest, TrainResult, TrainingSpec, RawImageSplit, EvaluateRequest, EvaluateThreadResult } from './thread/protocol';

export { exportLayersModel, checkpointToLayersModel, TFJS_WEIGHTS_FILE } from './tfjs-export';
export type { TfjsLayersModel } from './tfjs-export';

export { initFromCheckpoint, freezeLayers, layersWithWeights, checkpointLayerNames, checkFreezeLayers } from './finetune';
export type { FineTuneReport } from './finetune';
export { exportToOnnx, OnnxExportError, SUPPORTED_LAYERS, loadOnnxRuntime, tfjsRuntime, measureOnnxParity } from './onnx';
export type { OnnxExportOptions, OnnxModel, InferenceRuntime, OnnxRuntimeOptions, RuntimeKind } from './onnx';

export { runtimeEnvironment } from './receipt';
export type { RuntimeEnvironment } from '@trainyard/common';
