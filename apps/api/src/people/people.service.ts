import { Injectable } from '@nestjs/common';
import { actorOf, ApiKeyScope, AuthService, checkName, COURSE_ROLES, Principal, ROLE_LEVEL, Role, TEAM_ROLES, generateApiKey } from '@trainyard/auth';
import { badInput, forbidden, notFound } from '@trainyard/common';
import { AuditRepository, PrismaService } from '@trainyard/db';

/**
 * Members and their roles. The rules: roles belong to the team's kind (team roles in a team,
 * course roles in a course); nobody grants a role above their own, touches a member ranked above
 * them, or changes their own role (so no one raises themselves, and an owner cannot lock the team out).
 */
@Injectable()
export class PeopleService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly auth: AuthService,
    private readonly audit: AuditRepository,
  ) {}

  rolesOf(kind: 'TEAM' | 'COURSE'): Role[] {
    return kind === 'COURSE' ? COURSE_ROLES : TEAM_ROLES;
  }

  checkGrant(p: Principal, role: Role) {
    if (!this.rolesOf(p.team.kind).includes(role)) {
      throw badInput(`role ${role} does not exist in a ${p.team.kind.toLowerCase()}; use one of ${this.rolesOf(p.team.kind).join(', ')}`, { field: 'role' });
    }
    if (ROLE_LEVEL[role] > ROLE_LEVEL[p.role]) throw forbidden(`a ${p.role.toLowerCase()} cannot grant ${role}`, { role });
  }

  members(p: Principal) {
    return this.prisma.membership.findMany({ where: { teamId: p.team.id }, include: { user: true }, orderBy: { createdAt: 'asc' } });
  }

  /** Adds a new user with `role` and returns their first key, once. */
  async addMember(p: Principal, name: string, role: Role) {
    checkName('member name', name);
    this.checkGrant(p, role);
    const generated = generateApiKey();
    const user = await this.prisma.$transaction(async (tx) => {
      const u = await tx.user.create({ data: { name } });
      await tx.membership.create({ data: { teamId: p.team.id, userId: u.id, role } });
      await tx.apiKey.create({ data: { teamId: p.team.id, userId: u.id, name: 'default', prefix: generated.prefix, secretHash: generated.secretHash } });
      return u;
    });
    return { user, role, teamId: p.team.id, teamName: p.team.name, apiKey: generated.key };
  }

  private async target(p: Principal, userId: string) {
    if (userId === p.user.id) throw forbidden('you cannot change your own membership; ask another admin or owner');
    const m = /^[0-9a-f-]{36}$/i.test(userId)
      ? await this.prisma.membership.findUnique({ where: { teamId_userId: { teamId: p.team.id, userId } }, include: { user: true } })
      : null;
    if (!m) throw notFound('member', userId);
    if (ROLE_LEVEL[m.role] > ROLE_LEVEL[p.role]) throw forbidden(`a ${p.role.toLowerCase()} cannot change a ${m.role.toLowerCase()}`);
    return m;
  }

  async setRole(p: Principal, userId: string, role: Role) {
    this.checkGrant(p, role);
    await this.target(p, userId);
    return this.prisma.membership.update({ where: { teamId_userId: { teamId: p.team.id, userId } }, data: { role }, include: { user: true } });
  }

  /** Removes a member; their keys stop working at once (a key needs its user's membership). */
  async remove(p: Principal, userId: string): Promise<boolean> {
    await this.target(p, userId);
    const [revoked] = await this.prisma.$transaction([
      this.prisma.apiKey.updateMany({ where: { teamId: p.team.id, userId, revokedAt: null }, data: { revokedAt: new Date() } }),
      this.prisma.membership.delete({ where: { teamId_userId: { teamId: p.team.id, userId } } }),
    ]);
    await this.audit.record({ teamId: p.team.id, actor: actorOf(p.team), action: 'member.remove', target: userId, details: { keysRevoked: revoked.count } });
    return true;
  }

  /** The caller's keys; admins and owners see every key of the team. */
  apiKeys(p: Principal, all: boolean) {
    return this.prisma.apiKey.findMany({
      where: { teamId: p.team.id, ...(all && ROLE_LEVEL[p.role] >= 3 ? {} : { userId: p.user.id }) },
      orderBy: { createdAt: 'asc' },
    });
  }

  createApiKey(p: Principal, name: string, opts: { scope?: ApiKeyScope; models?: string[] } = {}) {
    if (!name.trim() || name.length > 100) throw badInput('key name must be 1-100 characters', { field: 'name' });
    return this.auth.createApiKey(p.team.id, name, { ...opts, userId: p.user.id }, actorOf(p.team));
  }
}
