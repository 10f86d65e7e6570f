import { Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';

export interface SubmissionScores {
  publicScore: number;
  privateScore: number;
  publicShown: number;
  metrics: Prisma.InputJsonValue;
  /** When the score becomes visible (the scorer's time-quantum boundary); default now. */
  scoredAt?: Date;
}

/**
 * Course submissions as the scoring job sees them. Writes are fenced by the submission's scoreRound:
 * a job queued for an older round (superseded by a re-score) cannot write.
 */
@Injectable()
export class SubmissionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Marks the submission RUNNING for `round`; undefined when that round is done or superseded. */
  async claim(id: string, round: number) {
    const { count } = await this.prisma.submission.updateMany({
      where: { id, scoreRound: round, status: { in: ['QUEUED', 'RUNNING'] } },
      data: { status: 'RUNNING' },
    });
    if (count === 0) return undefined;
    return this.prisma.submission.findUniqueOrThrow({ where: { id }, include: { assignment: true } });
  }

  /** The best public score shown so far to this submitter (user, or group) on the assignment, other than `exceptId`. */
  async bestShown(assignmentId: string, submitter: { userId: string; groupId: string | null }, exceptId: string, direction: 'MAXIMIZE' | 'MINIMIZE') {
    const row = await this.prisma.submission.findFirst({
      where: {
        assignmentId,
        status: 'SCORED',
        id: { not: exceptId },
        publicShown: { not: null },
        ...(submitter.groupId ? { groupId: submitter.groupId } : { userId: submitter.userId, groupId: null }),
      },
      orderBy: { publicShown: direction === 'MAXIMIZE' ? 'desc' : 'asc' },
      select: { publicShown: true },
    });
    return row?.publicShown ?? null;
  }

  /** Writes the scores and their audit row together, only while `round` is current. */
  async recordScores(id: string, round: number, old: { publicScore: number | null; privateScore: number | null }, s: SubmissionScores): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.submission.updateMany({
        where: { id, scoreRound: round, status: 'RUNNING' },
        data: { ...s, status: 'SCORED', failureReason: null, scoredAt: s.scoredAt ?? new Date() },
      });
      if (count === 0) return false;
      await tx.scoreAudit.create({
        data: {
          submissionId: id,
          reason: round === 0 ? 'scored' : `re-scored (round ${round})`,
          oldPublic: old.publicScore,
          oldPrivate: old.privateScore,
          newPublic: s.publicScore,
          newPrivate: s.privateScore,
        },
      });
      return true;
    });
  }

  async fail(id: string, round: number, reason: string): Promise<boolean> {
    const { count } = await this.prisma.submission.updateMany({
      where: { id, scoreRound: round, status: { in: ['QUEUED', 'RUNNING'] } },
      data: { status: 'FAILED', failureReason: reason.slice(0, 500), publicScore: null, privateScore: null, publicShown: null },
    });
    return count === 1;
  }

  /** Submissions whose scoring job may have been lost with an in-process queue (for recovery at start). */
  unscored() {
    return this.prisma.submission.findMany({ where: { status: { in: ['QUEUED', 'RUNNING'] } }, select: { id: true, scoreRound: true } });
  }
}
