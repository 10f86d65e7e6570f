import { UseGuards } from '@nestjs/common';
import { Args, Field, ID, InputType, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ConnectionType, keysetPage, NEWEST_FIRST, PageArgs, Key } from '../graphql/connection';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole, VisibilityService } from '@trainyard/auth';
import { forbidden, notFound } from '@trainyard/common';
import { CheckpointRepository, EvaluationRepository } from '@trainyard/db';
import { HiddenSplits } from '../assignments/hidden-splits.service';
import { EvaluationService } from './evaluation.service';
import { Evaluation, toEvaluation } from './evaluation.types';

@InputType({ description: 'Evaluations matching every field given.' })
export class EvaluationFilter {
  @Field(() => ID, { nullable: true }) checkpointId?: string;
  @Field(() => ID, { nullable: true, description: "Of this experiment's checkpoints." }) experimentId?: string;
  @Field(() => ID, { nullable: true }) datasetId?: string;
  @Field({ nullable: true, description: 'QUEUED, RUNNING, SUCCEEDED or FAILED.' }) status?: string;
}

export const EvaluationConnection = ConnectionType(Evaluation);

@Resolver(() => Evaluation)
@UseGuards(ApiKeyGuard)
export class EvaluationResolver {
  constructor(
    private readonly service: EvaluationService,
    private readonly repo: EvaluationRepository,
    private readonly checkpoints: CheckpointRepository,
    private readonly visibility: VisibilityService,
    private readonly hidden: HiddenSplits,
  ) {}

  @Mutation(() => Evaluation, { description: "Queues an evaluation of a checkpoint on a dataset's test split (no training)." })
  @RequireRole('member')
  async evaluateCheckpoint(
    @CurrentPrincipal() p: Principal,
    @Args('checkpointId', { type: () => ID }) checkpointId: string,
    @Args('datasetId', { type: () => ID }) datasetId: string,
    @Args('datasetVersionId', { type: () => ID, nullable: true, description: 'Default: the newest READY version.' }) datasetVersionId?: string,
  ) {
    // Courses: a student evaluates only their own checkpoints, and never on an assignment's hidden split.
    const c = await this.checkpoints.getForTeam(p.team.id, checkpointId);
    await this.visibility.assertSees(p, c.experiment.userId, 'checkpoint', checkpointId);
    if (await this.hidden.hidesFrom(p, datasetId)) throw forbidden("this dataset's test split is an assignment's hidden split: submit to the assignment to be scored on it");
    return toEvaluation(await this.service.evaluateCheckpoint(p.team.id, checkpointId, datasetId, datasetVersionId));
  }

  /** Students see evaluations of checkpoints they may see, and none on a hidden split. */
  private async mayRead(p: Principal, e: { checkpointId: string; datasetId: string }): Promise<boolean> {
    if (!this.visibility.restricted(p)) return true;
    if (await this.hidden.hidesFrom(p, e.datasetId)) return false;
    const c = await this.checkpoints.getForTeam(p.team.id, e.checkpointId).catch(() => undefined);
    const owners = await this.visibility.ownerIds(p);
    return !!c && !!owners?.includes(c.experiment.userId ?? '');
  }

  @Query(() => Evaluation)
  @RequireRole('viewer')
  async evaluation(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    const e = await this.repo.get(p.team.id, id);
    if (!(await this.mayRead(p, e))) throw notFound('evaluation', id);
    return toEvaluation(e);
  }

  @Query(() => EvaluationConnection, { description: 'Newest first (createdAt, then id); filter by checkpoint, experiment, dataset or status.' })
  @RequireRole('viewer')
  async evaluations(
    @CurrentPrincipal() p: Principal,
    @Args() page: PageArgs,
    @Args('filter', { type: () => EvaluationFilter, nullable: true }) filter?: EvaluationFilter,
    @Args('checkpointId', { type: () => ID, nullable: true, deprecationReason: 'use filter: { checkpointId }' }) checkpointId?: string,
  ) {
    const f = { ...filter, checkpointId: filter?.checkpointId ?? checkpointId };
    return keysetPage(
      {
        list: 'evaluations',
        ...NEWEST_FIRST,
        fetch: (after: Key | undefined, take: number) => this.repo.page(p.team.id, f, NEWEST_FIRST.after(after), take),
        count: () => this.repo.count(p.team.id, f),
        // A student's view: rows are checked one by one, as evaluation(id) checks them.
        visible: this.visibility.restricted(p) ? (e) => this.mayRead(p, e) : undefined,
      },
      page,
      toEvaluation,
    );
  }
}
