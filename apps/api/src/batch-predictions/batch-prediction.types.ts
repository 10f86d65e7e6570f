import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType } from '../graphql/connection';

export enum BatchPredictionStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(BatchPredictionStatus, { name: 'BatchPredictionStatus', description: 'QUEUED -> RUNNING -> SUCCEEDED or FAILED (see failureReason).' });

export enum PredictionFileFormat {
  JSONL = 'JSONL',
  CSV = 'CSV',
}
registerEnumType(PredictionFileFormat, { name: 'PredictionFileFormat', description: 'JSONL: one JSON object per sample. CSV: a header row, then one row per sample.' });

export enum SplitName {
  TRAIN = 'train',
  VALIDATION = 'validation',
  TEST = 'test',
}
registerEnumType(SplitName, { name: 'SplitName' });

@InputType({ description: 'What to run (a deployed model version, or any checkpoint) over which data.' })
export class BatchPredictInput {
  @Field({ nullable: true, description: 'A deployed model: its default version, or `version`/`label`. Give this or checkpointId.' }) modelName?: string;
  @Field(() => Int, { nullable: true }) version?: number;
  @Field({ nullable: true }) label?: string;
  @Field(() => ID, { nullable: true, description: 'Any checkpoint of the team. Give this or modelName.' }) checkpointId?: string;
  @Field(() => ID) datasetId: string;
  @Field(() => ID, { nullable: true, description: 'Default: the newest READY version.' }) datasetVersionId?: string;
  @Field(() => SplitName, { defaultValue: SplitName.TEST }) split: SplitName;
  @Field(() => PredictionFileFormat, { defaultValue: PredictionFileFormat.JSONL }) format: PredictionFileFormat;
  @Field(() => Int, { defaultValue: 5, description: 'Classes per sample, best first (at most the model has).' }) topK: number;
}

@ObjectType({ description: 'A model version or checkpoint run over a whole dataset split (batchPredict); the file downloads from downloadUrl.' })
export class BatchPrediction {
  @Field(() => ID) id: string;
  @Field(() => BatchPredictionStatus) status: BatchPredictionStatus;
  @Field(() => ID) checkpointId: string;
  @Field(() => String, { nullable: true }) modelName: string | null;
  @Field(() => Int, { nullable: true }) modelVersion: number | null;
  @Field(() => ID) datasetId: string;
  @Field(() => ID) datasetVersionId: string;
  @Field(() => SplitName) split: SplitName;
  @Field(() => PredictionFileFormat) format: PredictionFileFormat;
  @Field(() => Int) topK: number;
  @Field(() => Int, { description: 'Samples predicted so far.' }) processed: number;
  @Field(() => Int, { nullable: true, description: 'Samples in the split.' }) total: number | null;
  @Field(() => Float, { description: 'processed / total, 0 to 1.' }) progress: number;
  @Field(() => Int, { nullable: true }) sizeBytes: number | null;
  @Field(() => String, { nullable: true }) failureReason: string | null;
  @Field(() => String, { nullable: true, description: 'GET with the API key once SUCCEEDED.' }) downloadUrl: string | null;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true }) startedAt: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt: Date | null;
}

type Row = Omit<BatchPrediction, 'progress' | 'downloadUrl' | 'status' | 'split' | 'format'> & { status: string; split: string; format: string };

export function toBatchPrediction(row: Row): BatchPrediction {
  const total = row.total ?? null;
  return {
    id: row.id,
    status: row.status as BatchPredictionStatus,
    checkpointId: row.checkpointId,
    modelName: row.modelName,
    modelVersion: row.modelVersion,
    datasetId: row.datasetId,
    datasetVersionId: row.datasetVersionId,
    split: row.split as SplitName,
    format: row.format as PredictionFileFormat,
    topK: row.topK,
    processed: row.processed,
    total,
    progress: row.status === 'SUCCEEDED' ? 1 : total ? Math.min(1, row.processed / total) : 0,
    sizeBytes: row.sizeBytes,
    failureReason: row.failureReason,
    downloadUrl: row.status === 'SUCCEEDED' ? `/v1/batch-predictions/${row.id}/download` : null,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

export const BatchPredictionConnection = ConnectionType(BatchPrediction);
