import { Inject, Injectable, Logger } from '@nestjs/common';
import { allows, Principal } from '@trainyard/auth';
import { ErrorCode, notFound, TrainyardError } from '@trainyard/common';
import { PrismaService } from '@trainyard/db';
import { EnqueueOptions, JOB_QUEUE, JobQueue } from '@trainyard/queue';

const IN_FLIGHT = ['QUEUED', 'RUNNING'] as const;

/**
 * Training runs in a course: how many a student (or group) may have in flight, the fair-share order
 * they are dispatched in, and compute budgets (worker-seconds) with pause and resume.
 *
 * Fair share: a student's k-th run in flight is queued with priority k (lower runs first), so one
 * student's twenty runs go round-robin with everyone else's first, second... runs instead of ahead of
 * them. Instructors' and assistants' runs carry no priority, which BullMQ runs first.
 */
@Injectable()
export class CourseRuns {
  private readonly logger = new Logger('CourseRuns');

  constructor(
    private readonly prisma: PrismaService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  private async submitters(teamId: string, userId: string): Promise<{ users: string[]; groupId: string | null; budgetOverride: number | null }> {
    const m = await this.prisma.membership.findUnique({ where: { teamId_userId: { teamId, userId } } });
    if (!m?.groupId) return { users: [userId], groupId: null, budgetOverride: m?.computeBudgetSeconds ?? null };
    const mates = await this.prisma.membership.findMany({ where: { groupId: m.groupId }, select: { userId: true } });
    return { users: mates.map((x) => x.userId), groupId: m.groupId, budgetOverride: m.computeBudgetSeconds };
  }

  /** Checks the in-flight limit and returns the queue options for a student's new run (nothing outside courses). */
  async admit(p: Principal): Promise<EnqueueOptions> {
    if (p.team.kind !== 'COURSE' || allows(p.role, 'admin')) return {};
    const team = await this.prisma.team.findUniqueOrThrow({ where: { id: p.team.id } });
    const { users, groupId } = await this.submitters(p.team.id, p.user.id);
    const inFlight = await this.prisma.experiment.count({ where: { teamId: p.team.id, userId: { in: users }, status: { in: [...IN_FLIGHT] } } });
    if (team.maxConcurrentRuns !== null && inFlight >= team.maxConcurrentRuns) {
      throw new TrainyardError(ErrorCode.QUOTA_EXCEEDED, `${inFlight} runs${groupId ? ' of your group' : ''} are queued or running (limit ${team.maxConcurrentRuns}); wait for one to finish or cancel one`, {
        limit: 'concurrent-runs',
        inFlight,
      });
    }
    return { priority: inFlight + 1 };
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
      const { count } = await this.prisma.experiment.updateMany({ where: { id: e.id, status: 'PAUSED' }, data: { status: 'QUEUED' } });
      if (count === 0) continue;
      await this.queue.enqueue('train', { experimentId: e.id, resumeOf: e.attempt });
      resumed++;
    }
    if (resumed) this.logger.log(`course ${teamId}: resumed ${resumed} paused run(s)`);
    return resumed;
  }
}
