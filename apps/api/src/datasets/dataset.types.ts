import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import type { DatasetIndex } from '@trainyard/data';
import type { DatasetVersionRepository } from '@trainyard/db';

export enum DatasetVersionStatus {
  UPLOADING = 'UPLOADING',
  INGESTING = 'INGESTING',
  READY = 'READY',
  FAILED = 'FAILED',
}
registerEnumType(DatasetVersionStatus, {
  name: 'DatasetVersionStatus',
  description: 'UPLOADING (open for files) -> INGESTING (the ingestDataset job runs) -> READY (immutable) or FAILED (failureReason says why).',
});

@ObjectType({ description: 'One uploaded file of a version, with its upload progress.' })
export class DatasetSource {
  @Field() name: string;
  @Field({ description: 'RECEIVING, STORED or FAILED' }) status: string;
  @Field(() => Float, { description: 'Bytes stored so far (updated while the upload streams).' }) bytesReceived: number;
  @Field(() => Float, { description: 'Content-Length of the upload when it was given, else 0.' }) expectedBytes: number;
  @Field(() => Float, { nullable: true, description: 'bytesReceived / expectedBytes, when the size is known.' }) progress?: number | null;
  @Field(() => String, { nullable: true }) sha256?: string | null;
  @Field() updatedAt: Date;
}

@ObjectType({ description: 'One split of an ingested version and its statistics.' })
export class DatasetSplit {
  @Field({ description: 'train, test or validation' }) name: string;
  @Field(() => Int) count: number;
  @Field(() => [Int], { description: 'Samples per class.' }) histogram: number[];
  @Field(() => [Float], { description: 'Per channel (per feature for tables), in stored units (0-255 for images).' }) mean: number[];
  @Field(() => [Float]) std: number[];
}

@ObjectType({ description: 'An immutable snapshot of a dataset, in one format.' })
export class DatasetVersion {
  @Field(() => ID) id: string;
  @Field(() => Int) version: number;
  @Field({ description: 'idx, cifar10, cifar100, imagefolder or csv' }) format: string;
  @Field(() => DatasetVersionStatus) status: DatasetVersionStatus;
  @Field(() => String, { nullable: true }) failureReason?: string | null;
  @Field(() => GraphQLJSON, { description: "The format's options and the split options." }) options: unknown;
  @Field(() => [Int], { description: '[height, width, channels]; a table is [1, 1, features].' }) sampleShape: number[];
  @Field(() => Int, { nullable: true }) numClasses?: number | null;
  @Field(() => [String]) classNames: string[];
  @Field(() => Int, { nullable: true }) trainCount?: number | null;
  @Field(() => Int, { nullable: true }) testCount?: number | null;
  @Field(() => Int, { nullable: true }) validationCount?: number | null;
  @Field(() => [DatasetSplit]) splits: DatasetSplit[];
  @Field(() => GraphQLJSON, { nullable: true, description: 'How test/validation were made (source or seeded, fractions, seed), skipped inputs, format notes.' }) ingest?: unknown;
  @Field(() => [DatasetSource]) sources: DatasetSource[];
  @Field({ description: 'PUT each source file to {uploadUrl}/{file name}.' }) uploadUrl: string;
  @Field({ description: 'GET a PNG grid of samples per class with the class histogram.' }) previewUrl: string;
  @Field() createdAt: Date;
  @Field(() => Date, { nullable: true }) readyAt?: Date | null;
}

@ObjectType()
export class PresignedPart {
  @Field(() => Int) partNumber: number;
  @Field() url: string;
}

@ObjectType({ description: 'A multipart upload straight to the bucket: PUT each part to its URL, then completeSourceUpload with the ETags.' })
export class PresignedUpload {
  @Field() uploadId: string;
  @Field(() => Float) partSizeBytes: number;
  @Field(() => [PresignedPart]) parts: PresignedPart[];
  @Field() expiresAt: Date;
}

@InputType()
export class UploadedPartInput {
  @Field(() => Int) partNumber: number;
  @Field({ description: 'The ETag header the part PUT answered with.' }) etag: string;
}

type VersionRow = NonNullable<Awaited<ReturnType<DatasetVersionRepository['getById']>>> | Awaited<ReturnType<DatasetVersionRepository['create']>>;
type SourceRow = VersionRow['sources'][number];

export const toDatasetSource = (s: SourceRow): DatasetSource => ({
  name: s.name,
  status: s.status,
  bytesReceived: Number(s.bytesReceived),
  expectedBytes: Number(s.expectedBytes),
  progress: s.expectedBytes > 0n ? Math.min(1, Number(s.bytesReceived) / Number(s.expectedBytes)) : null,
  sha256: s.sha256,
  updatedAt: s.updatedAt,
});

export const toDatasetVersion = (v: VersionRow): DatasetVersion => {
  const index = v.index as unknown as DatasetIndex | null;
  return {
    id: v.id,
    version: v.version,
    format: v.format,
    status: v.status as DatasetVersionStatus,
    failureReason: v.failureReason,
    options: { ...(v.options as object), split: v.split },
    sampleShape: v.sampleShape,
    numClasses: v.numClasses,
    classNames: index?.classNames ?? [],
    trainCount: v.trainCount,
    testCount: v.testCount,
    validationCount: v.validationCount,
    splits: index
      ? Object.entries(index.splits).map(([name, s]) => ({ name, count: s!.count, histogram: s!.histogram, mean: s!.mean, std: s!.std }))
      : [],
    ingest: index ? { source: index.source, task: index.task, splitting: index.splitting, skipped: index.skipped, notes: index.notes, featureNames: index.featureNames } : null,
    sources: v.sources.map(toDatasetSource),
    uploadUrl: `/v1/dataset-versions/${v.id}/sources`,
    previewUrl: `/v1/dataset-versions/${v.id}/preview.png`,
    createdAt: v.createdAt,
    readyAt: v.readyAt,
  };
};
