import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';

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
  @Field(() => DatasetFormat) format: DatasetFormat;
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
}

@ObjectType()
export class ClassMetrics {
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
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true }) startedAt?: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt?: Date | null;
}

@ObjectType()
export class Deployment {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => ID) checkpointId: string;
  @Field(() => ID) experimentId: string;
  @Field(() => Int) step: number;
  @Field({ description: 'POST {"instances": [...]} here with your API key.' }) predictUrl: string;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}
