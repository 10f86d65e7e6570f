import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import { ExperimentStatus } from '../graphql/types';
import { ModelInput, SubmitExperimentInput } from '../experiments/experiment.inputs';
import { ConnectionType } from '../graphql/connection';

export enum SweepStrategy {
  GRID = 'GRID',
  RANDOM = 'RANDOM',
}
registerEnumType(SweepStrategy, { name: 'SweepStrategy', description: 'GRID: every combination (must fit the budget). RANDOM: budget distinct combinations, seeded.' });

export enum SweepMetric {
  accuracy = 'accuracy',
  loss = 'loss',
  precision = 'precision',
  recall = 'recall',
  f1 = 'f1',
}
registerEnumType(SweepMetric, { name: 'SweepMetric', description: "A trial's test metric to rank by; loss is minimized, the others maximized." });

@InputType({ description: 'Values to try per hyperparameter; unset ones stay as in the base input.' })
export class SweepSpaceInput {
  @Field(() => [Float], { nullable: true }) learningRate?: number[];
  @Field(() => [Int], { nullable: true }) batchSize?: number[];
  @Field(() => [String], { nullable: true }) optimizer?: string[];
  @Field(() => [Float], { nullable: true }) weightDecay?: number[];
  @Field(() => [ModelInput], { nullable: true, description: 'Model settings to try (name and parameters).' }) model?: ModelInput[];
}

@InputType()
export class CreateSweepInput {
  @Field() name: string;
  @Field(() => SubmitExperimentInput, { description: 'What every trial trains; the space overrides parts of it.' }) base: SubmitExperimentInput;
  @Field(() => SweepSpaceInput) space: SweepSpaceInput;
  @Field(() => SweepStrategy, { defaultValue: SweepStrategy.GRID }) strategy: SweepStrategy;
  @Field(() => Int, { description: 'Most trials to run (1-100).' }) budget: number;
  @Field(() => SweepMetric, { defaultValue: SweepMetric.accuracy }) metric: SweepMetric;
  @Field(() => Int, { nullable: true, description: 'Seeds the random strategy (default 1).' }) seed?: number;
}

@ObjectType({ description: 'One trial: a child experiment and the values the sweep chose for it.' })
export class SweepTrial {
  @Field(() => ID) experimentId: string;
  @Field() name: string;
  @Field(() => ExperimentStatus) status: ExperimentStatus;
  @Field(() => GraphQLJSON) params: unknown;
  @Field(() => Float, { nullable: true, description: "The sweep's metric on the test split, once finished." }) value: number | null;
}

@ObjectType()
export class Sweep {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => SweepStrategy) strategy: SweepStrategy;
  @Field(() => GraphQLJSON) space: unknown;
  @Field(() => Int) budget: number;
  @Field(() => SweepMetric) metric: SweepMetric;
  @Field({ description: 'Higher is better (all metrics but loss).' }) maximize: boolean;
  @Field({ description: 'Every trial SUCCEEDED, FAILED or CANCELLED.' }) finished: boolean;
  @Field(() => [SweepTrial], { description: 'All trials, in the order they were planned.' }) trials: SweepTrial[];
  @Field(() => SweepTrial, { nullable: true, description: 'The best finished trial by the metric.' }) best: SweepTrial | null;
  @Field() createdAt: Date;
}

export const SweepConnection = ConnectionType(Sweep);
