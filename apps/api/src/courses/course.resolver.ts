import { Args, Context, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { Request } from 'express';
import { joinLink } from './join.controller';
import { allows, CurrentPrincipal, Principal, Public, RequireRole, Role } from '@trainyard/auth';
import { badInput, notFound } from '@trainyard/common';
import { RoleName } from '../people/people.types';
import { CourseRuns } from './course-runs.service';
import { ComputeUsage, Course, CourseMembership, CreatedCourse, CreateJoinCodeInput, JoinCode, StudentGroup, UpdateCourseInput } from './course.types';
import { CourseService } from './course.service';

type TeamRow = Awaited<ReturnType<CourseService['get']>>;
const toCourse = (t: TeamRow, effectiveDispatchSlots: number): Course => ({
  id: t.id,
  name: t.name,
  groupSizeLimit: t.groupSizeLimit,
  rosterLockAt: t.rosterLockAt,
  maxConcurrentRuns: t.maxConcurrentRuns,
  computeBudgetSeconds: t.computeBudgetSeconds,
  dispatchSlots: t.dispatchSlots,
  autoDispatchSlots: t.autoDispatchSlots,
  effectiveDispatchSlots,
  staffRunsFirst: t.staffRunsFirst,
});
type CodeRow = Awaited<ReturnType<CourseService['joinCodes']>>[number] & { code?: string };
const toJoinCode = (c: CodeRow): JoinCode => ({
  id: c.id,
  prefix: c.prefix,
  code: c.code ?? null,
  role: c.role as RoleName,
  expiresAt: c.expiresAt,
  maxUses: c.maxUses,
  uses: c.uses,
  revokedAt: c.revokedAt,
});
type GroupRow = Awaited<ReturnType<CourseService['groups']>>[number];
const toGroup = (g: GroupRow): StudentGroup => ({ id: g.id, name: g.name, memberIds: g.members.map((m) => m.userId) });

@Resolver(() => Course)
export class CourseResolver {
  constructor(
    private readonly courses: CourseService,
    private readonly runs: CourseRuns,
  ) {}

  /** The course as GraphQL shows it, with the slots admission fills now. */
  private async withSlots(t: TeamRow): Promise<Course> {
    return toCourse(t, await this.runs.effectiveSlots(t));
  }

  @Mutation(() => CreatedCourse, { description: "Creates a course with you as its instructor; returns your key for the course, once." })
  @RequireRole('member')
  async createCourse(@CurrentPrincipal() p: Principal, @Args('name') name: string) {
    const { course, apiKey } = await this.courses.create(p, name);
    return { course: await this.withSlots(course), apiKey };
  }

  @Query(() => Course, { description: 'The course of this key.' })
  @RequireRole('viewer')
  async course(@CurrentPrincipal() p: Principal) {
    this.courses.requireCourse(p);
    return this.withSlots(await this.courses.get(p.team.id));
  }

  @Mutation(() => Course, { description: 'Group size limit and roster lock date (instructor).' })
  @RequireRole('owner')
  async updateCourse(@CurrentPrincipal() p: Principal, @Args('input') input: UpdateCourseInput) {
    const course = await this.courses.update(p, {
      groupSizeLimit: input.groupSizeLimit ?? undefined,
      rosterLockAt: input.rosterLockAt ?? undefined,
      maxConcurrentRuns: input.maxConcurrentRuns ?? undefined,
      computeBudgetSeconds: input.computeBudgetSeconds ?? undefined,
      dispatchSlots: input.dispatchSlots ?? undefined,
      autoDispatchSlots: input.autoDispatchSlots ?? undefined,
      staffRunsFirst: input.staffRunsFirst ?? undefined,
    });
    if (input.computeBudgetSeconds) await this.runs.resumePaused(p.team.id);
    if (input.dispatchSlots || input.autoDispatchSlots !== undefined) await this.runs.slotFreed(p.team.id);
    return this.withSlots(course);
  }

  @Query(() => ComputeUsage, { description: "Your (or your group's) compute budget and runs; staff may ask about any member." })
  @RequireRole('viewer')
  computeUsage(@CurrentPrincipal() p: Principal, @Args('userId', { type: () => ID, nullable: true }) userId?: string) {
    this.courses.requireCourse(p);
    return this.runs.usage(p, userId && allows(p.role, 'admin') ? userId : p.user.id);
  }

  @Mutation(() => ComputeUsage, { description: "A student's own compute budget (null: the course's). Raising it resumes their paused runs." })
  @RequireRole('owner')
  setComputeBudget(
    @CurrentPrincipal() p: Principal,
    @Args('userId', { type: () => ID }) userId: string,
    @Args('seconds', { type: () => Int, nullable: true }) seconds?: number,
  ) {
    this.courses.requireCourse(p);
    if (seconds !== undefined && seconds !== null && (!Number.isInteger(seconds) || seconds < 1)) throw badInput(`seconds must be a positive integer, got ${seconds}`, { field: 'seconds' });
    if (!/^[0-9a-f-]{36}$/i.test(userId)) throw notFound('member', userId);
    return this.runs.setBudget(p, userId, seconds ?? null);
  }

  @Mutation(() => JoinCode, { description: 'An expiring, limited-use join code (instructor). The code is shown once.' })
  @RequireRole('owner')
  async createJoinCode(@CurrentPrincipal() p: Principal, @Context('req') req: Request, @Args('input', { nullable: true }) input?: CreateJoinCodeInput) {
    const i = input ?? { expiresInHours: 168, maxUses: 50, role: RoleName.STUDENT };
    const created = await this.courses.createJoinCode(p, { expiresInHours: i.expiresInHours, maxUses: i.maxUses, role: i.role as Role });
    return { ...toJoinCode(created), joinLink: joinLink(req, created.code) };
  }

  @Query(() => [JoinCode], { description: 'Join codes of the course, without the codes themselves.' })
  @RequireRole('admin')
  async joinCodes(@CurrentPrincipal() p: Principal) {
    return (await this.courses.joinCodes(p)).map(toJoinCode);
  }

  @Mutation(() => Boolean)
  @RequireRole('owner')
  revokeJoinCode(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    return /^[0-9a-f-]{36}$/i.test(id) ? this.courses.revokeJoinCode(p, id) : false;
  }

  @Mutation(() => CourseMembership, { description: 'No key needed: join a course with a code from your instructor. Returns your own key, once.' })
  @Public()
  async joinCourse(@Args('code') code: string, @Args('name') name: string) {
    const m = await this.courses.join(code, name);
    return { ...m, role: m.role as RoleName };
  }

  @Query(() => [StudentGroup])
  @RequireRole('viewer')
  async groups(@CurrentPrincipal() p: Principal) {
    return (await this.courses.groups(p)).map(toGroup);
  }

  @Mutation(() => StudentGroup, { description: 'Starts a group with you in it (before the roster lock).' })
  @RequireRole('member')
  async createGroup(@CurrentPrincipal() p: Principal, @Args('name') name: string) {
    return toGroup(await this.courses.createGroup(p, name));
  }

  @Mutation(() => StudentGroup, { description: 'Joins a group that has room (before the roster lock).' })
  @RequireRole('member')
  async joinGroup(@CurrentPrincipal() p: Principal, @Args('groupId', { type: () => ID }) groupId: string) {
    return toGroup(await this.courses.joinGroup(p, groupId));
  }

  @Mutation(() => Boolean)
  @RequireRole('member')
  leaveGroup(@CurrentPrincipal() p: Principal) {
    return this.courses.leaveGroup(p);
  }
}
