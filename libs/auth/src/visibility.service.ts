import { Injectable } from '@nestjs/common';
import { notFound } from '@trainyard/common';
import { PrismaService } from '@trainyard/db';
import { Principal } from './auth.service';
import { allows } from './roles';

/**
 * Whose work a caller sees. In a team: everything of the team. In a course: instructors and
 * assistants see everyone's experiments and checkpoints; a student sees their own and their group's.
 * Something a student may not see is NOT_FOUND, exactly as another team's ids are.
 */
@Injectable()
export class VisibilityService {
  constructor(private readonly prisma: PrismaService) {}

  /** undefined: the whole team; otherwise the users whose experiments the caller may see. */
  async ownerIds(p: Principal): Promise<string[] | undefined> {
    if (p.team.kind !== 'COURSE' || allows(p.role, 'admin')) return undefined;
    const me = await this.prisma.membership.findUnique({ where: { teamId_userId: { teamId: p.team.id, userId: p.user.id } }, select: { groupId: true } });
    if (!me?.groupId) return [p.user.id];
    const mates = await this.prisma.membership.findMany({ where: { teamId: p.team.id, groupId: me.groupId }, select: { userId: true } });
    return mates.map((m) => m.userId);
  }

  /** Throws NOT_FOUND unless the caller may see work owned by `ownerUserId`. */
  async assertSees(p: Principal, ownerUserId: string | null | undefined, what: string, id: string): Promise<void> {
    const ids = await this.ownerIds(p);
    if (ids && (!ownerUserId || !ids.includes(ownerUserId))) throw notFound(what, id);
  }

  /** Whether the caller only sees part of the team (a student in a course). */
  restricted(p: Principal): boolean {
    return p.team.kind === 'COURSE' && !allows(p.role, 'admin');
  }
}
