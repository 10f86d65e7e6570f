import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import { Receipt } from '../experiments/receipt.types';

/**
 * GraphQL object types. They are the API's shape, not Prisma rows: resolvers map rows onto them,
 * so the database can change without breaking clients.
 */

export enum DatasetFormat {
  MNIST = 'MNIST',
}
export enum DatasetStatus {
  PENDING = 'PENDING',
  READY = 'READY',
}
export enum ExperimentStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
  /** Courses: stopped at a checkpoint when the compute budget ran out; resumes when it is raised. */
  PAUSED = 'PAUSED',
}
registerEnumType(DatasetFormat, { name: 'DatasetFormat', description: 'MNIST: the four idx files, gzipped or not.' });
registerEnumType(DatasetStatus, { name: 'DatasetStatus', description: 'READY once every file is uploaded, valid and consistent.' });
registerEnumType(ExperimentStatus, { name: 'ExperimentStatus' });

@ObjectType()
export class Team {
  @Field(() => ID) id: string;
  @Field() name: string;
}

@ObjectType()
export class CreatedApiKey {
  @Field(() => ID) id: string;
  @Field({ description: 'Shown in listings to tell keys apart.' }) prefix: string;
  @Field({ description: 'The key itself. Shown once: only its digest is stored.' }) apiKey: string;
  @Field({ description: 'admin (GraphQL and predict) or predict (the predict routes only).' }) scope: string;
  @Field(() => [String], { description: 'Predict keys: the models it may call; empty means all.' }) models: string[];
}

@ObjectType()
export class DatasetFile {
  @Field({ description: 'TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES or TEST_LABELS' }) role: string;
  @Field(() => Float) sizeBytes: number;
  @Field() gzipped: boolean;
  @Field() sha256: string;
  @Field(() => Int, { description: 'Images or labels in the file.' }) count: number;
  @Field(() => [Int]) dims: number[];
  @Field() createdAt: Date;
}

@ObjectType()
export class Dataset {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => DatasetFormat, { deprecationReason: "formats are per version: DatasetVersion.format (this is always MNIST, as it always was)" }) format: DatasetFormat;
  @Field(() => DatasetStatus) status: DatasetStatus;
  @Field(() => [Int], { description: '[height, width, channels] of one sample.' }) imageShape: number[];
  @Field(() => Int, { nullable: true }) numClasses?: number | null;
  @Field(() => Int, { nullable: true }) trainCount?: number | null;
  @Field(() => Int, { nullable: true }) testCount?: number | null;
  @Field(() => [Int], { description: 'Train samples per class.' }) classHistogram: number[];
  @Field(() => [DatasetFile]) files: DatasetFile[];
  @Field({ description: 'Where to PUT each file: {uploadUrl}/{train-images|train-labels|test-images|test-labels}' }) uploadUrl: string;
  @Field() createdAt: Date;
}

@ObjectType()
export class Progress {
  @Field(() => Int) epoch: number;
  @Field(() => Int) step: number;
  @Field(() => Int) totalSteps: number;
  @Field(() => Float, { nullable: true }) samplesPerSecond?: number | null;
}

@ObjectType()
export class LossPoint {
  @Field(() => Int) step: number;
  @Field(() => Int) epoch: number;
  @Field(() => Float) loss: number;
  @Field(() => Float, { nullable: true, description: 'The learning rate in force at this step.' }) lr?: number | null;
}

@ObjectType()
export class LayerSummary {
  @Field() name: string;
  @Field({ description: 'Keras layer class, e.g. Conv2D' }) className: string;
  @Field(() => [Int], { description: 'Without the batch dimension.' }) outputShape: number[];
  @Field(() => Int) params: number;
  @Field(() => Int) trainableParams: number;
  @Field(() => [String], { description: 'Layers feeding this one.' }) inbound: string[];
}

@ObjectType({ description: "A model's layers, output shapes and parameter counts (Keras summary())." })
export class ModelSummary {
  @Field() name: string;
  @Field(() => [Int]) inputShape: number[];
  @Field(() => [Int]) outputShape: number[];
  @Field(() => [LayerSummary]) layers: LayerSummary[];
  @Field(() => Int) totalParams: number;
  @Field(() => Int) trainableParams: number;
}

@ObjectType()
export class LayerNorm {
  @Field() name: string;
  @Field(() => Float) weightNorm: number;
  @Field(() => Float, { nullable: true, description: "Gradient norm at the epoch's last step." }) gradNorm?: number | null;
}

@ObjectType({ description: 'One epoch: training and validation loss and metrics, learning rate, per-layer norms.' })
export class EpochSummary {
  @Field(() => Int) epoch: number;
  @Field(() => Int) step: number;
  @Field(() => Float, { nullable: true }) loss?: number | null;
  @Field(() => Float, { nullable: true }) accuracy?: number | null;
  @Field(() => Float) learningRate: number;
  @Field(() => Float) samplesPerSecond: number;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Validation metrics (loss, accuracy, topKAccuracy, f1, precision, recall) when a validation split exists.' })
  validation?: Record<string, number> | null;
  @Field(() => [LayerNorm]) layers: LayerNorm[];
}

@ObjectType()
export class ClassMetrics {
  @Field(() => String, { nullable: true, description: "The class's name, when the dataset names its classes." }) name?: string | null;
  @Field(() => Float) precision: number;
  @Field(() => Float) recall: number;
  @Field(() => Float) f1: number;
  @Field(() => Int) support: number;
}

@ObjectType({ description: 'Evaluation on the test split; precision, recall and F1 are macro averages.' })
export class EvalMetrics {
  @Field(() => Float) accuracy: number;
  @Field(() => Float) loss: number;
  @Field(() => Float) precision: number;
  @Field(() => Float) recall: number;
  @Field(() => Float) f1: number;
  @Field(() => [ClassMetrics]) perClass: ClassMetrics[];
  @Field(() => [[Int]], { description: 'rows: true class, columns: predicted class' }) confusionMatrix: number[][];
  @Field(() => Float, { nullable: true }) topKAccuracy?: number | null;
  @Field(() => Int, { nullable: true }) topK?: number | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Micro-averaged precision, recall, F1.' }) micro?: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Regression datasets and regression-style losses: mse, mae, r2, count.' }) regression?: unknown;
  @Field(() => String, { nullable: true, description: "'regression' for a regression dataset: then accuracy, precision, recall, f1 are 0, perClass and confusionMatrix empty; read regression." }) task?: string | null;
}

@ObjectType()
export class Checkpoint {
  @Field(() => ID) id: string;
  @Field(() => Int) step: number;
  @Field(() => Int) epoch: number;
  @Field(() => Int) sizeBytes: number;
  @Field({ description: 'GET it with your API key to download the checkpoint.' }) downloadUrl: string;
  @Field() createdAt: Date;
}

@ObjectType()
export class Experiment {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => ID) datasetId: string;
  @Field(() => ID, { nullable: true, description: 'The exact dataset version it trained on.' }) datasetVersionId?: string | null;
  @Field(() => ID, { nullable: true, description: 'Who submitted it.' }) userId?: string | null;
  @Field(() => ExperimentStatus) status: ExperimentStatus;
  @Field({ description: 'Set by cancelExperiment; the run stops within a few steps.' }) cancelRequested: boolean;
  @Field(() => String, { nullable: true }) failureReason?: string | null;
  @Field(() => String, { nullable: true, description: 'The TensorFlow.js backend that trained it.' }) backend?: string | null;
  @Field(() => Int, { description: 'How many times a worker started (or resumed) this run.' }) attempt: number;
  @Field(() => Float, { description: 'Worker-seconds spent training it (course compute budgets).' }) computeSeconds: number;
  @Field(() => GraphQLJSON, { description: 'The full, validated spec: model, pipeline, loss, optimizer, epochs, checkpoints.' }) spec: unknown;
  @Field(() => Progress) progress: Progress;
  @Field(() => EvalMetrics, { nullable: true }) metrics?: EvalMetrics | null;
  @Field(() => ID, { nullable: true, description: 'Fine-tuning: the checkpoint whose weights this run started from.' }) baseCheckpointId?: string | null;
  @Field(() => [String], { description: 'Fine-tuning: layers kept as loaded.' }) frozenLayers: string[];
  @Field(() => Receipt, { nullable: true, description: 'Reproducibility receipt, recorded when a worker starts the run.' }) receipt?: Receipt | null;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true }) startedAt?: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt?: Date | null;
}
