/** Messages between the host (runner.ts) and the training thread (training-thread.ts). */
import type { ExperimentSpecInput } from '../spec';
import type { BackendPreference } from '../backend';
import type { CheckpointMeta, LossReport } from '../callbacks';
import type { EpochLogs } from '../trainer';
import type { EvaluationResult } from '../evaluate';

/** One split in memory, as @trainyard/data's ImageSplit: uint8 pixels, HWC per sample, uint8 labels. */
export interface RawImageSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  shape: [number, number, number];
}

/**
 * The part of an experiment spec the engine reads (a stored ExperimentSpec fits; so does one stored
 * before the newer fields existed: the thread parses it with the registries' schemas, filling defaults).
 */
export type TrainingSpec = Pick<
  ExperimentSpecInput,
  | 'model'
  | 'pipeline'
  | 'loss'
  | 'optimizer'
  | 'epochs'
  | 'perPrintTimes'
  | 'seed'
  | 'checkpoint'
  | 'schedule'
  | 'l2'
  | 'clipGlobalNorm'
  | 'earlyStopping'
  | 'timeBudgetSeconds'
  | 'topK'
>;

/**
 * A split the data lib streams from shards on local disk (@trainyard/data's ShardedSplit): only this
 * small descriptor crosses to the thread, never the samples.
 */
export interface ShardedSplitRef {
  kind: 'sharded';
  index: { sampleShape: [number, number, number] };
  split: string;
  dir: string;
}

export interface TrainRequest {
  spec: TrainingSpec;
  /** Copied to the thread (structured clone); the caller keeps its arrays. */
  train: RawImageSplit | ShardedSplitRef;
  /** Evaluated after training (not after a stop). */
  test: RawImageSplit | ShardedSplitRef;
  /** Evaluated after every epoch when given (EpochLogs.val; EarlyStopping and keepBest can watch it). */
  validation?: RawImageSplit | ShardedSplitRef;
  /** Class names in label order (per-class test metrics carry them). */
  classNames?: string[];
  /** Default 'auto'. */
  backend?: BackendPreference;
  /** Checkpoint bytes to resume from (same spec). */
  resume?: Uint8Array;
  /**
   * Fine-tuning: freeze these layers; on a first start (no `resume`), load `from` (another run's
   * checkpoint bytes) with the head replaced when the class count differs (finetune.ts).
   */
  fineTune?: { freezeLayers: string[]; from?: Uint8Array };
  /** Steps of checkpoints already stored, so CheckpointMeta.expired accounts for them. */
  existingCheckpointSteps?: number[];
  /**
   * Module exporting `buildBatchSource(split, pipeline, { seed, shuffle, dropRemainder? })`, resolved
   * inside the thread. Default '@trainyard/data'. Tests may point it at a stand-in.
   */
  dataModule?: string;
}

/**
 * The `evaluate` job on the same thread as training: one checkpoint scored on one split, through the
 * pipeline of the experiment that made it, without training.
 */
export interface EvaluateRequest {
  /** Checkpoint bytes (copied to the thread). */
  checkpoint: Uint8Array;
  split: RawImageSplit | ShardedSplitRef;
  /** The experiment's pipeline (map ops, batch size) and seed. */
  pipeline: unknown;
  seed: number;
  /** The experiment's loss (reported as `loss`) and top-k; defaults as evaluate(). */
  loss?: TrainingSpec['loss'];
  topK?: number;
  classNames?: string[];
  backend?: BackendPreference;
  /** As TrainRequest.dataModule. */
  dataModule?: string;
}

export interface EvaluateThreadResult {
  backend: string;
  /** Step and model of the checkpoint scored. */
  step: number;
  model: string;
  metrics: EvaluationResult;
}

export interface TrainResultBase {
  backend: string;
  /** Last global step trained. */
  step: number;
  epoch: number;
  stepInEpoch: number;
  /** Mean loss of the last epoch trained (NaN if none). */
  lastEpochLoss: number;
  /** Why training ended early: 'early-stopping' or 'time-budget' (those runs are still evaluated). */
  stopReason?: 'early-stopping' | 'time-budget';
}
export type TrainResult =
  | (TrainResultBase & { stopped: false; metrics: EvaluationResult })
  | (TrainResultBase & { stopped: true; metrics?: undefined });

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  details?: Record<string, unknown>;
  step?: number;
  loss?: number;
}

export type ThreadMessage =
  | { type: 'backend'; name: string }
  | { type: 'progress'; report: LossReport }
  | { type: 'epoch'; logs: EpochLogs }
  | { type: 'checkpoint'; id: number; bytes: Uint8Array; meta: CheckpointMeta }
  | { type: 'done'; result: TrainResult }
  | { type: 'evaluated'; result: EvaluateThreadResult }
  | { type: 'error'; error: SerializedError };

export type HostMessage = { type: 'checkpoint-ack'; id: number };

export interface ThreadData {
  /** A training run, or (with `evaluate` set instead) an evaluation. */
  request?: TrainRequest;
  evaluate?: EvaluateRequest;
  /** Int32Array view: [0] = 1 asks the thread to stop after the current step. */
  stopFlag: SharedArrayBuffer;
}
