import { UseGuards } from '@nestjs/common';
import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole } from '@trainyard/auth';
import { BatchPredictionService } from './batch-prediction.service';
import { PageArgs } from '../graphql/connection';
import { BatchPredictInput, BatchPrediction, BatchPredictionConnection, toBatchPrediction } from './batch-prediction.types';

@Resolver(() => BatchPrediction)
@UseGuards(ApiKeyGuard)
export class BatchPredictionResolver {
  constructor(private readonly service: BatchPredictionService) {}

  @Mutation(() => BatchPrediction, { description: 'Queues predictions of a deployed model version (or any checkpoint) over a whole dataset split; poll batchPrediction for progress.' })
  @RequireRole('member')
  async batchPredict(@CurrentPrincipal() p: Principal, @Args('input') input: BatchPredictInput) {
    return toBatchPrediction(await this.service.request(p, input));
  }

  @Query(() => BatchPrediction)
  @RequireRole('viewer')
  async batchPrediction(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    return toBatchPrediction(await this.service.get(p, id));
  }

  @Query(() => BatchPredictionConnection, { description: 'Newest first (createdAt, then id).' })
  @RequireRole('viewer')
  batchPredictions(@CurrentPrincipal() p: Principal, @Args() page: PageArgs) {
    return this.service.page(p, page);
  }
}
