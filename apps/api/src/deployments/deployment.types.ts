import { ArgsType, Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'One version of a served model: a checkpoint deployed under a name.' })
export class Deployment {
  @Field(() => ID) id: string;
  @Field({ description: 'The model name clients call.' }) name: string;
  @Field(() => Int, { description: 'Versions are numbered 1, 2, 3... per name.' }) version: number;
  @Field(() => ID) checkpointId: string;
  @Field(() => ID) experimentId: string;
  @Field(() => Int) step: number;
  @Field({ description: 'Whether calls without a version or label get this version.' }) isDefault: boolean;
  @Field(() => [String], { description: 'Labels pointing at this version (stable, canary...).' }) labels: string[];
  @Field(() => Int, { description: 'Dynamic batching: most samples per runtime call.' }) maxBatchSize: number;
  @Field(() => Int, { description: 'Dynamic batching: longest wait for more calls, ms.' }) maxBatchWaitMs: number;
  @Field(() => String, { nullable: true, description: 'Name of the API key that deployed it.' }) deployedBy: string | null;
  @Field({ description: 'POST {"instances": [...]} here with your API key (TF Serving REST).' }) predictUrl: string;
  @Field({ description: 'POST an Open Inference Protocol v2 request here (KServe).' }) inferUrl: string;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}

@ObjectType()
export class TrafficSplit {
  @Field(() => Int) version: number;
  @Field(() => Int, { description: 'Share of default-routed calls, 0-100.' }) percent: number;
}

@ObjectType()
export class VersionLabel {
  @Field() label: string;
  @Field(() => Int) version: number;
}

@ObjectType({ description: 'A model name clients call, with its versions.' })
export class ServedModel {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => Int, { nullable: true }) defaultVersion: number | null;
  @Field(() => [VersionLabel]) labels: VersionLabel[];
  @Field(() => TrafficSplit, { nullable: true }) trafficSplit: TrafficSplit | null;
  @Field(() => [Deployment]) versions: Deployment[];
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}

@InputType()
export class DeployOptionsInput {
  @Field({ nullable: true, defaultValue: true, description: 'Make the new version the default (default true; the first version always is).' })
  makeDefault?: boolean;
  @Field(() => [String], { nullable: true, description: 'Labels to point at the new version.' }) labels?: string[];
  @Field(() => Int, { nullable: true, description: 'Dynamic batching: most samples per runtime call (1-1024, default 64).' }) maxBatchSize?: number;
  @Field(() => Int, { nullable: true, description: 'Dynamic batching: longest wait for more calls, ms (0-1000, default 0).' }) maxBatchWaitMs?: number;
}

@ArgsType()
export class ModelVersionArgs {
  @Field() name: string;
  @Field(() => Int) version: number;
}
