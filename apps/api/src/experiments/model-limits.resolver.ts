import { UseGuards } from '@nestjs/common';
import { Args, Field, Int, Mutation, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole } from '@trainyard/auth';
import { ExperimentService } from './experiment.service';

@ObjectType({
  description:
    "The most parameters a model of this team may have: checked when a run, fine-tune or sweep is submitted and by modelSummary, for zoo models and custom topologies alike.",
})
export class ModelParameterLimit {
  @Field(() => Int, { description: "The limit in force (the team's own, else the default 50,000,000)." }) maxParams: number;
  @Field({ description: 'True when the team has not set its own limit.' }) isDefault: boolean;
}

@Resolver()
@UseGuards(ApiKeyGuard)
export class ModelLimitsResolver {
  constructor(private readonly service: ExperimentService) {}

  @Query(() => ModelParameterLimit)
  @RequireRole('viewer')
  async modelParameterLimit(@CurrentPrincipal() p: Principal): Promise<ModelParameterLimit> {
    const { maxParams } = await this.service.modelLimits(p.team.id);
    return { maxParams, isDefault: (await this.service.hasDefaultModelLimits(p.team.id)) };
  }

  @Mutation(() => ModelParameterLimit, { description: "Sets the team's parameter limit (1,000 to 2,000,000,000; null: back to the default). Owners and admins." })
  @RequireRole('admin')
  setModelParameterLimit(@CurrentPrincipal() p: Principal, @Args('maxParams', { type: () => Int, nullable: true }) maxParams: number | null): Promise<ModelParameterLimit> {
    return this.service.setMaxModelParams(p.team.id, maxParams ?? null);
  }
}
