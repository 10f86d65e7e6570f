import { Injectable, Logger } from '@nestjs/common';
import { allows, Principal } from '@trainyard/auth';
import { ErrorCode, notFound, TrainyardError } from '@trainyard/common';
import { CreateGuard, PrismaService } from '@trainyard/db';
import { CourseDispatcher } from '@trainyard/platform';

const IN_FLIGHT = ['QUEUED', 'RUNNING'] as const;

/**
 * Training runs in a course: how many a student (or group) may have in flight, and compute budgets
 * (worker-seconds) with pause and resume. The order runs are dispatched in (fair share, round-robin
 * across users) is CourseDispatcher's (libs/platform).
 */
@Injectable()
export class CourseRuns {
  private readonly logger = new Logger('CourseRuns');

  constructor(
    private readonly prisma: PrismaService,
    private readonly dispatcher: CourseDispatcher,
  ) {}

  private async submitters(teamId: string, userId: string): Promise<{ users: string[]; groupId: string | null; budgetOverride: number | null }> {
    const m = await this.prisma.membership.findUnique({ where: { teamId_userId: { teamId, userId } } });
    if (!m?.groupId) return { users: [userId], groupId: null, budgetOverride: m?.computeBudgetSeconds ?? null };
    const mates = await this.prisma.membership.findMany({ where: { groupId: m.groupId }, select: { userId: true } });
    return { users: mates.map((x) => x.userId), groupId: m.groupId, budgetOverride: m.computeBudgetSeconds };
  }

  /**
   * The runs-in-flight check for a student's new run(s), to run inside the transaction that inserts
   * them (undefined outside courses and for staff). It takes a per-submitter advisory lock first, so
   * concurrent submits of one student (or group) are serialized: each counts the runs the previous
   * ones committed, and the limit holds exactly. `runs`: how many runs the insert adds (a sweep: its trials).
   */
  async guard(p: Principal, runs = 1): Promise<CreateGuard | undefined> {
    if (p.team.kind !== 'COURSE' || allows(p.role, 'admin')) return undefined;
    const team = await this.prisma.team.findUniqueOrThrow({ where: { id: p.team.id } });
    const limit = team.maxConcurrentRuns;
    if (limit === null) return undefined;
    const { users, groupId } = await this.submitters(p.team.id, p.user.id);
    return async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`runs:${p.team.id}:${groupId ?? p.user.id}`}))`;
      const inFlight = await tx.experiment.count({ where: { teamId: p.team.id, userId: { in: users }, status: { in: [...IN_FLIGHT] } } });
      if (inFlight + runs > limit) {
        const what = runs > 1 ? `a sweep of ${runs} trials would make ${inFlight + runs}` : `${inFlight} runs${groupId ? ' of your group' : ''} are queued or running`;
        throw new TrainyardError(ErrorCode.QUOTA_EXCEEDED, `${what} (limit ${limit}); wait for one to finish or cancel one`, {
          limit: 'concurrent-runs',
          inFlight,
        });
      }
    };
  }

  /** The slots fair share fills now for this course (dispatchSlots, or the live workers' with autoDispatchSlots). */
  effectiveSlots(team: { dispatchSlots: number; autoDispatchSlots: boolean }): Promise<number> {
    return this.dispatcher.effectiveSlots(team);
  }

  /** A course run left the queue outside a worker (a cancel): admit the next one (fair share). */
  async slotFreed(teamId: string): Promise<void> {
    if (await this.dispatcher.governs(teamId)) await this.dispatcher.admit(teamId);
  }

  async usage(p: Principal, userId = p.user.id) {
    const team = await this.prisma.team.findUniqueOrThrow({ where: { id: p.team.id } });
    if (!(await this.prisma.membership.findUnique({ where: { teamId_userId: { teamId: p.team.id, userId } } }))) throw notFound('member', userId);
    const { users, groupId, budgetOverride } = await this.submitters(p.team.id, userId);
    const { _sum } = await this.prisma.experiment.aggregate({ where: { teamId: p.team.id, userId: { in: users } }, _sum: { computeSeconds: true } });
    const [inFlight, paused] = await Promise.all([
      this.prisma.experiment.count({ where: { teamId: p.team.id, userId: { in: users }, status: { in: [...IN_FLIGHT] } } }),
      this.prisma.experiment.count({ where: { teamId: p.team.id, userId: { in: users }, status: 'PAUSED' } }),
    ]);
    const budget = budgetOverride ?? team.computeBudgetSeconds;
    const used = _sum.computeSeconds ?? 0;
    return {
      budgetSeconds: budget,
      usedSeconds: used,
      remainingSeconds: budget === null ? null : Math.max(0, budget - used),
      runsInFlight: inFlight,
      maxConcurrentRuns: team.maxConcurrentRuns,
      pausedRuns: paused,
      perGroup: groupId !== null,
    };
  }

  /** Sets a student's own budget (null: the course's), then resumes what it frees. */
  async setBudget(p: Principal, userId: string, seconds: number | null) {
    const { count } = await this.prisma.membership.updateMany({ where: { teamId: p.team.id, userId }, data: { computeBudgetSeconds: seconds } });
    if (count === 0) throw notFound('member', userId);
    await this.resumePaused(p.team.id);
    return this.usage(p, userId);
  }

  /**
   * Resumes every PAUSED run whose student (or group) has budget left: back to QUEUED and a new
   * train job, which continues from the checkpoint the pause saved.
   */
  async resumePaused(teamId: string): Promise<number> {
    const paused = await this.prisma.experiment.findMany({ where: { teamId, status: 'PAUSED' }, orderBy: { updatedAt: 'asc' } });
    const team = await this.prisma.team.findUniqueOrThrow({ where: { id: teamId } });
    let resumed = 0;
    for (const e of paused) {
      if (!e.userId) continue;
      const { users, budgetOverride } = await this.submitters(teamId, e.userId);
      const budget = budgetOverride ?? team.computeBudgetSeconds;
      const { _sum } = await this.prisma.experiment.aggregate({ where: { teamId, userId: { in: users } }, _sum: { computeSeconds: true } });
      if (budget !== null && (_sum.computeSeconds ?? 0) >= budget) continue;
      // Back to waiting: it is admitted to the training queue at its user's turn (fair share).
      const { count } = await this.prisma.experiment.updateMany({ where: { id: e.id, status: 'PAUSED' }, data: { status: 'QUEUED', admittedAt: null } });
      if (count === 0) continue;
      resumed++;
    }
    if (resumed) await this.dispatcher.admit(teamId);
    if (resumed) this.logger.log(`course ${teamId}: resumed ${resumed} paused run(s)`);
    return resumed;
  }
}
