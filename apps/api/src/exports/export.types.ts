import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum ExportFormat {
  ONNX = 'ONNX',
}
export enum ExportStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(ExportFormat, {
  name: 'ExportFormat',
  description: 'ONNX: an ONNX model (opset 13) taking the same NHWC float32 input as the tfjs model; its output is the logits.',
});
registerEnumType(ExportStatus, { name: 'ExportStatus', description: 'QUEUED -> RUNNING -> SUCCEEDED or FAILED (see failureReason).' });

@ObjectType({ description: 'A checkpoint converted to another format by the export job.' })
export class CheckpointExport {
  @Field(() => ID) id: string;
  @Field(() => ID) checkpointId: string;
  @Field(() => ExportFormat) format: ExportFormat;
  @Field(() => ExportStatus) status: ExportStatus;
  @Field(() => Int, { nullable: true }) sizeBytes: number | null;
  @Field(() => String, { nullable: true, description: 'SHA-256 of the file, hex.' }) sha256: string | null;
  @Field(() => Int, { nullable: true }) opsetVersion: number | null;
  @Field(() => Float, {
    nullable: true,
    description: 'Largest |ONNX Runtime - TensorFlow.js| the job measured on a check batch (exports above 1e-4 fail).',
  })
  maxAbsDiff: number | null;
  @Field(() => String, { nullable: true }) failureReason: string | null;
  @Field(() => String, { nullable: true, description: 'GET it with your API key once SUCCEEDED.' }) downloadUrl: string | null;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true }) finishedAt: Date | null;
}
