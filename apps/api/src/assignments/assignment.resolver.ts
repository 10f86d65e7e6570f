import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Principal, RequireRole } from '@trainyard/auth';
import { formatInZone } from '@trainyard/common';
import { Assignment, CreateAssignmentInput, Leaderboard, MetricDirectionName, Quota, ScoreAudit, Submission, SubmissionStatusName } from './assignment.types';
import { AssignmentService } from './assignment.service';

type Row = Awaited<ReturnType<AssignmentService['get']>>;
type SubRow = Awaited<ReturnType<AssignmentService['submissions']>>[number];

/** An assignment as the caller sees it (with their own deadline), context kept for the field resolvers. */
type AssignmentView = Assignment & { row: Row; principal: Principal };

@Resolver(() => Assignment)
export class AssignmentResolver {
  constructor(private readonly service: AssignmentService) {}

  private async view(p: Principal, a: Row): Promise<AssignmentView> {
    const yourDeadline = await this.service.deadlineFor(a, p.user.id);
    const local = (d: Date) => formatInZone(d, a.timeZone);
    return {
      opensAtLocal: local(a.opensAt),
      deadlineLocal: local(a.deadline),
      yourDeadlineLocal: local(yourDeadline),
      lateUntilLocal: local(new Date(yourDeadline.getTime() + a.lateWindowSeconds * 1000)),
      privateRevealAtLocal: local(a.privateRevealAt),
      id: a.id,
      name: a.name,
      datasetId: a.datasetId,
      primaryMetric: a.primaryMetric,
      direction: a.direction as MetricDirectionName,
      allowedModels: a.allowedModels,
      maxEpochs: a.maxEpochs,
      maxParams: a.maxParams,
      opensAt: a.opensAt,
      deadline: a.deadline,
      yourDeadline,
      lateWindowSeconds: a.lateWindowSeconds,
      latePenalty: a.latePenalty,
      publicFraction: a.publicFraction,
      privateRevealAt: a.privateRevealAt,
      privateRevealed: new Date() >= a.privateRevealAt,
      maxFinalPicks: a.maxFinalPicks,
      scoreDigits: a.scoreDigits,
      ladder: a.ladder,
      ladderMargin: a.ladderMargin,
      dailyLimit: a.dailyLimit,
      totalLimit: a.totalLimit,
      concurrentLimit: a.concurrentLimit,
      timeZone: a.timeZone,
      row: a,
      principal: p,
    };
  }

  private sub(p: Principal, a: Row, s: SubRow): Submission {
    const v = this.service.view(p, a, s);
    return {
      id: v.id,
      assignmentId: v.assignmentId,
      userId: v.userId,
      groupId: v.groupId,
      checkpointId: v.checkpointId,
      experimentId: v.experimentId,
      status: v.status as SubmissionStatusName,
      failureReason: v.failureReason,
      late: v.late,
      final: v.final,
      publicScore: v.publicScore,
      privateScore: v.privateScore,
      createdAt: v.createdAt,
      createdAtLocal: formatInZone(v.createdAt, a.timeZone),
      scoredAt: v.scoredAt,
    };
  }

  @Mutation(() => Assignment, { description: "Creates an assignment on a course dataset; the dataset's test split becomes its hidden split." })
  @RequireRole('admin')
  async createAssignment(@CurrentPrincipal() p: Principal, @Args('input') input: CreateAssignmentInput) {
    return this.view(p, await this.service.create(p, input));
  }

  @Query(() => [Assignment])
  @RequireRole('viewer')
  async assignments(@CurrentPrincipal() p: Principal) {
    return Promise.all((await this.service.list(p)).map((a) => this.view(p, a)));
  }

  @Query(() => Assignment)
  @RequireRole('viewer')
  async assignment(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    return this.view(p, await this.service.get(p, id));
  }

  @ResolveField(() => Quota, { description: 'Your (or your group\'s) submission counts and what is left.' })
  quota(@Parent() a: AssignmentView) {
    return this.service.quota(a.principal, a.row);
  }

  @ResolveField(() => [Submission], { description: "Yours (and your group's); instructors and assistants see everyone's." })
  async submissions(@Parent() a: AssignmentView) {
    return (await this.service.submissions(a.principal, a.row)).map((s) => this.sub(a.principal, a.row, s));
  }

  @Query(() => Leaderboard, { description: 'private: the private leaderboard (students: after privateRevealAt).' })
  @RequireRole('viewer')
  async leaderboard(
    @CurrentPrincipal() p: Principal,
    @Args('assignmentId', { type: () => ID }) assignmentId: string,
    @Args('private', { defaultValue: false }) priv: boolean,
  ): Promise<Leaderboard> {
    const a = await this.service.get(p, assignmentId);
    const rows = await this.service.leaderboard(p, a, priv);
    return { private: priv, metric: a.primaryMetric, direction: a.direction as MetricDirectionName, rows };
  }

  @Mutation(() => Submission, { description: 'Hands in your checkpoint (or your experiment\'s last one); the server scores it on the hidden split.' })
  @RequireRole('member')
  async submitToAssignment(
    @CurrentPrincipal() p: Principal,
    @Args('assignmentId', { type: () => ID }) assignmentId: string,
    @Args('checkpointId', { type: () => ID, nullable: true }) checkpointId?: string,
    @Args('experimentId', { type: () => ID, nullable: true }) experimentId?: string,
  ) {
    const s = await this.service.submit(p, assignmentId, { checkpointId: checkpointId ?? undefined, experimentId: experimentId ?? undefined });
    return this.sub(p, await this.service.get(p, assignmentId), s);
  }

  @Mutation(() => [Submission], { description: 'Your final picks for the private leaderboard (up to maxFinalPicks; none: your best public one).' })
  @RequireRole('member')
  async selectFinalSubmissions(
    @CurrentPrincipal() p: Principal,
    @Args('assignmentId', { type: () => ID }) assignmentId: string,
    @Args('submissionIds', { type: () => [ID] }) submissionIds: string[],
  ) {
    const a = await this.service.get(p, assignmentId);
    return (await this.service.selectFinal(p, a, submissionIds)).map((s) => this.sub(p, a, s));
  }

  @Mutation(() => Date, { description: "A student's own deadline (UTC)." })
  @RequireRole('admin')
  async grantExtension(
    @CurrentPrincipal() p: Principal,
    @Args('assignmentId', { type: () => ID }) assignmentId: string,
    @Args('userId', { type: () => ID }) userId: string,
    @Args('deadline') deadline: Date,
  ) {
    return this.service.grantExtension(p, await this.service.get(p, assignmentId), userId, deadline);
  }

  @Mutation(() => Int, { description: 'Re-scores one submission, or all of the assignment; returns how many were queued. Audited.' })
  @RequireRole('admin')
  async rescoreSubmissions(
    @CurrentPrincipal() p: Principal,
    @Args('assignmentId', { type: () => ID }) assignmentId: string,
    @Args('submissionId', { type: () => ID, nullable: true }) submissionId?: string,
  ) {
    return this.service.rescore(p, await this.service.get(p, assignmentId), submissionId ?? undefined);
  }

  @Query(() => [ScoreAudit], { description: 'Every score change of the assignment: who, when, old and new.' })
  @RequireRole('admin')
  async scoreAudit(@CurrentPrincipal() p: Principal, @Args('assignmentId', { type: () => ID }) assignmentId: string) {
    const rows = await this.service.audits(await this.service.get(p, assignmentId));
    return rows.map((r) => ({ submissionId: r.submissionId, actorUserId: r.actorUserId, reason: r.reason, oldPublic: r.oldPublic, oldPrivate: r.oldPrivate, newPublic: r.newPublic, newPrivate: r.newPrivate, at: r.createdAt }));
  }
}
