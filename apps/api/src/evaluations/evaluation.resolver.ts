import { UseGuards } from '@nestjs/common';
import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { EvaluationRepository } from '@trainyard/db';
import { EvaluationService } from './evaluation.service';
import { Evaluation, toEvaluation } from './evaluation.types';

@Resolver(() => Evaluation)
@UseGuards(ApiKeyGuard)
export class EvaluationResolver {
  constructor(
    private readonly service: EvaluationService,
    private readonly repo: EvaluationRepository,
  ) {}

  @Mutation(() => Evaluation, { description: "Queues an evaluation of a checkpoint on a dataset's test split (no training)." })
  async evaluateCheckpoint(
    @CurrentTeam() team: TeamPrincipal,
    @Args('checkpointId', { type: () => ID }) checkpointId: string,
    @Args('datasetId', { type: () => ID }) datasetId: string,
    @Args('datasetVersionId', { type: () => ID, nullable: true, description: 'Default: the newest READY version.' }) datasetVersionId?: string,
  ) {
    return toEvaluation(await this.service.evaluateCheckpoint(team.id, checkpointId, datasetId, datasetVersionId));
  }

  @Query(() => Evaluation)
  async evaluation(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return toEvaluation(await this.repo.get(team.id, id));
  }

  @Query(() => [Evaluation], { description: 'Newest first; optionally of one checkpoint.' })
  async evaluations(@CurrentTeam() team: TeamPrincipal, @Args('checkpointId', { type: () => ID, nullable: true }) checkpointId?: string) {
    return (await this.repo.list(team.id, checkpointId ? { checkpointId } : {})).map(toEvaluation);
  }
}
