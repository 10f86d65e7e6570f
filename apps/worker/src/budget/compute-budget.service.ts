import { Injectable } from '@nestjs/common';
import { PrismaService } from '@trainyard/db';

const STAFF = ['OWNER', 'ADMIN', 'INSTRUCTOR', 'ASSISTANT'];

/**
 * Course compute budgets, as the training run sees them: each charge adds worker-seconds to the run
 * (fenced by its attempt) and says whether the student (or their group) has now used up their
 * budget; the run then stops at a checkpoint and is PAUSED. Runs outside courses, and staff runs,
 * have no budget.
 */
@Injectable()
export class ComputeBudget {
  constructor(private readonly prisma: PrismaService) {}

  async charge(experimentId: string, attempt: number, seconds: number): Promise<{ over: boolean; used?: number; budget?: number }> {
    const rows = await this.prisma.$queryRaw<Array<{ teamId: string; userId: string | null }>>`
      UPDATE "Experiment" SET "computeSeconds" = "computeSeconds" + ${Math.max(0, seconds)}
       WHERE id = ${experimentId}::uuid AND attempt = ${attempt}
   RETURNING "teamId", "userId"`;
    const row = rows[0];
    if (!row?.userId) return { over: false };
    const team = await this.prisma.team.findUnique({ where: { id: row.teamId }, select: { kind: true, computeBudgetSeconds: true } });
    if (team?.kind !== 'COURSE') return { over: false };
    const m = await this.prisma.membership.findUnique({ where: { teamId_userId: { teamId: row.teamId, userId: row.userId } } });
    if (!m || STAFF.includes(m.role)) return { over: false };
    const budget = m.computeBudgetSeconds ?? team.computeBudgetSeconds;
    if (budget === null) return { over: false };
    const users = m.groupId ? (await this.prisma.membership.findMany({ where: { groupId: m.groupId }, select: { userId: true } })).map((x) => x.userId) : [row.userId];
    const { _sum } = await this.prisma.experiment.aggregate({ where: { teamId: row.teamId, userId: { in: users } }, _sum: { computeSeconds: true } });
    const used = _sum.computeSeconds ?? 0;
    return { over: used >= budget, used, budget };
  }
}
