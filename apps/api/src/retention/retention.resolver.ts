import { UseGuards } from '@nestjs/common';
import { Args, Field, ID, Int, Mutation, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { actorOf, ApiKeyGuard, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { RetentionService } from './retention.service';

@ObjectType({ description: "Of each SUCCEEDED experiment keep the best checkpoint and the newest keepNewest; deployed ones are always kept. Best: by the run's validation metric (keep-best's monitor, else val_loss) among checkpoints at epoch ends; a run without a validation split: the lowest training loss at its step." })
export class RetentionPolicy {
  @Field(() => Int, { nullable: true, description: 'null: keep every checkpoint.' }) keepNewest: number | null;
  @Field(() => Int, { description: 'Checkpoints this change released (their bytes are freed in the background).' }) released: number;
}

@Resolver()
@UseGuards(ApiKeyGuard)
export class RetentionResolver {
  constructor(private readonly service: RetentionService) {}

  @Mutation(() => Boolean, { description: 'Deletes a finished experiment with its checkpoints, losses and evaluations; its bytes are freed in the background.' })
  deleteExperiment(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return this.service.deleteExperiment(team.id, id, actorOf(team));
  }

  @Mutation(() => Boolean, { description: 'Deletes a checkpoint that is not deployed; its bytes are freed in the background.' })
  deleteCheckpoint(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return this.service.deleteCheckpoint(team.id, id, actorOf(team));
  }

  @Mutation(() => Boolean, { description: 'Deletes a dataset no experiment uses; its files are freed in the background.' })
  deleteDataset(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return this.service.deleteDataset(team.id, id, actorOf(team));
  }

  @Mutation(() => RetentionPolicy, { description: 'Sets the retention policy and applies it now to SUCCEEDED experiments (then to each run that succeeds).' })
  setRetentionPolicy(@CurrentTeam() team: TeamPrincipal, @Args('keepNewest', { type: () => Int, nullable: true }) keepNewest: number | null) {
    return this.service.setPolicy(team.id, keepNewest ?? null, actorOf(team));
  }

  @Query(() => RetentionPolicy)
  retentionPolicy(@CurrentTeam() team: TeamPrincipal) {
    return this.service.policy(team.id);
  }
}
