import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { EvalMetrics } from '../graphql/types';

export enum EvaluationStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(EvaluationStatus, { name: 'EvaluationStatus' });

@ObjectType({ description: "A checkpoint scored on a dataset's test split, without training (evaluateCheckpoint)." })
export class Evaluation {
  @Field(() => ID) id: string;
  @Field(() => ID) checkpointId: string;
  @Field(() => ID) datasetId: string;
  @Field(() => ID, { nullable: true, description: 'The exact version scored (null: a dataset from before versions).' }) datasetVersionId: string | null;
  @Field(() => EvaluationStatus) status: EvaluationStatus;
  @Field(() => EvalMetrics, { nullable: true, description: "Same shape as an experiment's metrics." }) metrics?: EvalMetrics | null;
  @Field(() => String, { nullable: true }) failureReason?: string | null;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true }) finishedAt?: Date | null;
}

type EvaluationRow = {
  id: string;
  checkpointId: string;
  datasetId: string;
  datasetVersionId: string | null;
  status: string;
  metrics: unknown;
  failureReason: string | null;
  createdAt: Date;
  finishedAt: Date | null;
};

export function toEvaluation(row: EvaluationRow): Evaluation {
  return {
    id: row.id,
    checkpointId: row.checkpointId,
    datasetId: row.datasetId,
    datasetVersionId: row.datasetVersionId,
    status: row.status as EvaluationStatus,
    metrics: (row.metrics as EvalMetrics | null) ?? null,
    failureReason: row.failureReason,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}
