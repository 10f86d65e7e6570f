import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import type { Receipt as StoredReceipt } from '@trainyard/common';

@ObjectType({ description: 'What decides a run: the same receipt on the same backend gives the same loss series (rerunExperiment).' })
export class Receipt {
  @Field(() => ID) datasetId: string;
  @Field(() => ID, { nullable: true, description: 'The exact dataset version (null: a dataset from before versions).' }) datasetVersionId: string | null;
  @Field({ description: "sha256 over the dataset version's source files (name and sha256 of each)." }) datasetDigest: string;
  @Field(() => GraphQLJSON, { description: 'The resolved spec, defaults filled in.' }) spec: unknown;
  @Field(() => Int) seed: number;
  @Field(() => ID, { nullable: true, description: 'Fine-tuning: the starting checkpoint.' }) baseCheckpointId: string | null;
  @Field(() => [String]) frozenLayers: string[];
  @Field({ description: "tfjs' backend: wasm, tensorflow or cpu." }) backend: string;
  @Field() tfjsVersion: string;
  @Field(() => String, { nullable: true }) wasmBackendVersion: string | null;
  @Field() nodeVersion: string;
  @Field(() => String, { nullable: true, description: "The native kernel addon's instruction set; null when not in use." }) nativeIsa: string | null;
  @Field(() => [String], { description: 'Kernels Trainyard registers over the backend’s own.' }) kernels: string[];
}

export function toReceipt(stored: unknown): Receipt | null {
  if (!stored || typeof stored !== 'object') return null;
  const r = stored as StoredReceipt;
  return {
    datasetId: r.datasetId,
    datasetVersionId: r.datasetVersionId ?? null,
    datasetDigest: r.datasetDigest,
    spec: r.spec,
    seed: r.seed,
    baseCheckpointId: r.baseCheckpointId,
    frozenLayers: r.frozenLayers,
    backend: r.backend,
    tfjsVersion: r.tfjsVersion,
    wasmBackendVersion: r.wasmBackendVersion,
    nodeVersion: r.nodeVersion,
    nativeIsa: r.nativeIsa,
    kernels: r.kernels,
  };
}
