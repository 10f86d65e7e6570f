import { createHash, randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AuthService, checkName, generateApiKey, Principal, Role } from '@trainyard/auth';
import { badInput, ErrorCode, forbidden, notFound, TrainyardError } from '@trainyard/common';
import { PrismaService } from '@trainyard/db';

const hashCode = (code: string) => createHash('sha256').update(code, 'utf8').digest('hex');
const CODE_PATTERN = /^join_[A-Za-z0-9_-]{22}$/;

/**
 * Courses: creating one, invitations (join codes: expiring, limited uses, stored as digests),
 * joining without the instructor ever handling a student's key, and student groups.
 */
@Injectable()
export class CourseService {
  private readonly logger = new Logger('Courses');

  constructor(
    private readonly prisma: PrismaService,
    private readonly auth: AuthService,
  ) {}

  /** A new course with the caller's user as its instructor; returns the instructor's key for it, once. */
  async create(p: Principal, name: string) {
    const { team, apiKey } = await this.auth.createTeam(name, { kind: 'COURSE', ownerUserId: p.user.id });
    this.logger.log(`course ${team.id} created by user ${p.user.id}`);
    return { course: await this.get(team.id), apiKey };
  }

  get(teamId: string) {
    return this.prisma.team.findUniqueOrThrow({ where: { id: teamId } });
  }

  requireCourse(p: Principal) {
    if (p.team.kind !== 'COURSE') throw badInput(`"${p.team.name}" is a team, not a course: this needs a course's key`);
  }

  async update(p: Principal, input: { groupSizeLimit?: number; rosterLockAt?: Date; maxConcurrentRuns?: number; computeBudgetSeconds?: number; dispatchSlots?: number; autoDispatchSlots?: boolean; staffRunsFirst?: boolean }) {
    this.requireCourse(p);
    for (const k of ['maxConcurrentRuns', 'computeBudgetSeconds', 'dispatchSlots'] as const) {
      const v = input[k];
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw badInput(`${k} must be a positive integer, got ${v}`, { field: k });
    }
    if (input.groupSizeLimit !== undefined && (input.groupSizeLimit < 1 || input.groupSizeLimit > 20)) {
      throw badInput(`groupSizeLimit must be 1 to 20, got ${input.groupSizeLimit}`, { field: 'groupSizeLimit' });
    }
    return this.prisma.team.update({ where: { id: p.team.id }, data: input });
  }

  async createJoinCode(p: Principal, input: { expiresInHours: number; maxUses: number; role: Role }) {
    this.requireCourse(p);
    if (!['STUDENT', 'ASSISTANT'].includes(input.role)) throw badInput(`a join code grants STUDENT or ASSISTANT, not ${input.role}`, { field: 'role' });
    if (!(input.expiresInHours >= 1 && input.expiresInHours <= 2160)) throw badInput(`expiresInHours must be 1 to 2160, got ${input.expiresInHours}`, { field: 'expiresInHours' });
    if (!(input.maxUses >= 1 && input.maxUses <= 1000)) throw badInput(`maxUses must be 1 to 1000, got ${input.maxUses}`, { field: 'maxUses' });
    const code = `join_${randomBytes(16).toString('base64url')}`;
    const row = await this.prisma.joinCode.create({
      data: {
        teamId: p.team.id,
        codeHash: hashCode(code),
        prefix: code.slice(0, 9),
        role: input.role,
        maxUses: input.maxUses,
        expiresAt: new Date(Date.now() + input.expiresInHours * 3600_000),
        createdBy: p.user.id,
      },
    });
    return { ...row, code };
  }

  joinCodes(p: Principal) {
    return this.prisma.joinCode.findMany({ where: { teamId: p.team.id }, orderBy: { createdAt: 'asc' } });
  }

  async revokeJoinCode(p: Principal, id: string) {
    const { count } = await this.prisma.joinCode.updateMany({ where: { id, teamId: p.team.id, revokedAt: null }, data: { revokedAt: new Date() } });
    return count === 1;
  }

  /**
   * Why a code cannot be used, in words for the person holding it: unknown, revoked, expired (and
   * when) or used up. A code is a 128-bit secret, so telling these apart says nothing to a guesser.
   */
  private async refusal(code: string): Promise<TrainyardError> {
    const row = CODE_PATTERN.test(code) ? await this.prisma.joinCode.findUnique({ where: { codeHash: hashCode(code) } }) : null;
    const ask = 'ask your instructor for a new one';
    if (!row) return new TrainyardError(ErrorCode.NOT_FOUND, `this join code is unknown; check the link or ${ask}`, { reason: 'unknown' });
    if (row.revokedAt) return forbidden(`this join code was revoked at ${row.revokedAt.toISOString()}; ${ask}`, { reason: 'revoked' });
    if (row.expiresAt <= new Date()) return forbidden(`this join code expired at ${row.expiresAt.toISOString()}; ${ask}`, { reason: 'expired', expiresAt: row.expiresAt.toISOString() });
    return forbidden(`this join code is used up (${row.uses} of ${row.maxUses} joins); ${ask}`, { reason: 'used-up' });
  }

  /** What a join link shows before joining (no key needed): the course, the role it grants, until when and how many joins are left. */
  async describeCode(code: string) {
    const row = CODE_PATTERN.test(code) ? await this.prisma.joinCode.findUnique({ where: { codeHash: hashCode(code) }, include: { team: true } }) : null;
    if (!row || row.revokedAt || row.expiresAt <= new Date() || row.uses >= row.maxUses) throw await this.refusal(code);
    return { courseName: row.team.name, role: row.role, expiresAt: row.expiresAt, usesLeft: row.maxUses - row.uses };
  }

  /**
   * Anyone holding a code joins: one statement takes a use of a live code (not expired, not revoked,
   * uses left), so two students racing for the last use cannot both get in. Then a user, their
   * membership and a key; the key is returned once.
   */
  async join(code: string, name: string) {
    checkName('your name', name);
    if (!CODE_PATTERN.test(code)) throw await this.refusal(code);
    const generated = generateApiKey();
    return this.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<Array<{ teamId: string; role: Role }>>`
        UPDATE "JoinCode" SET uses = uses + 1
         WHERE "codeHash" = ${hashCode(code)} AND "revokedAt" IS NULL AND "expiresAt" > now() AND uses < "maxUses"
     RETURNING "teamId", role`;
      if (rows.length === 0) throw await this.refusal(code);
      const { teamId, role } = rows[0];
      const team = await tx.team.findUniqueOrThrow({ where: { id: teamId } });
      if (team.rosterLockAt && team.rosterLockAt <= new Date()) throw forbidden(`the roster of "${team.name}" locked at ${team.rosterLockAt.toISOString()}`, { reason: 'roster-locked' });
      const user = await tx.user.create({ data: { name } });
      await tx.membership.create({ data: { teamId, userId: user.id, role } });
      await tx.apiKey.create({ data: { teamId, userId: user.id, name: 'default', prefix: generated.prefix, secretHash: generated.secretHash } });
      this.logger.log(`user ${user.id} joined course ${teamId} as ${role}`);
      return { courseId: teamId, courseName: team.name, userId: user.id, role, apiKey: generated.key };
    });
  }

  private async checkRoster(teamId: string) {
    const team = await this.get(teamId);
    if (team.rosterLockAt && team.rosterLockAt <= new Date()) throw forbidden(`the roster locked at ${team.rosterLockAt.toISOString()}: groups can no longer change`);
    return team;
  }

  groups(p: Principal) {
    return this.prisma.studentGroup.findMany({ where: { teamId: p.team.id }, include: { members: { select: { userId: true } } }, orderBy: { name: 'asc' } });
  }

  /** A student starts a group and is its first member. */
  async createGroup(p: Principal, name: string) {
    this.requireCourse(p);
    checkName('group name', name);
    const team = await this.checkRoster(p.team.id);
    if (team.groupSizeLimit < 2) throw forbidden('this course has no groups (groupSizeLimit is 1): everyone works alone');
    return this.prisma.$transaction(async (tx) => {
      const me = await tx.membership.findUniqueOrThrow({ where: { teamId_userId: { teamId: p.team.id, userId: p.user.id } } });
      if (me.groupId) throw new TrainyardError(ErrorCode.CONFLICT, 'you are already in a group; leave it first');
      const g = await tx.studentGroup.create({ data: { teamId: p.team.id, name } });
      await tx.membership.update({ where: { teamId_userId: { teamId: p.team.id, userId: p.user.id } }, data: { groupId: g.id } });
      return tx.studentGroup.findUniqueOrThrow({ where: { id: g.id }, include: { members: { select: { userId: true } } } });
    });
  }

  /** Joins a group while it has room, before the roster lock. The group row is locked so two joiners cannot overfill it. */
  async joinGroup(p: Principal, groupId: string) {
    this.requireCourse(p);
    const team = await this.checkRoster(p.team.id);
    if (!/^[0-9a-f-]{36}$/i.test(groupId)) throw notFound('group', groupId);
    return this.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM "StudentGroup" WHERE id = ${groupId}::uuid AND "teamId" = ${p.team.id}::uuid FOR UPDATE`;
      if (locked.length === 0) throw notFound('group', groupId);
      const me = await tx.membership.findUniqueOrThrow({ where: { teamId_userId: { teamId: p.team.id, userId: p.user.id } } });
      if (me.groupId) throw new TrainyardError(ErrorCode.CONFLICT, 'you are already in a group; leave it first');
      const size = await tx.membership.count({ where: { groupId } });
      if (size >= team.groupSizeLimit) throw forbidden(`group is full (${size} of ${team.groupSizeLimit})`);
      await tx.membership.update({ where: { teamId_userId: { teamId: p.team.id, userId: p.user.id } }, data: { groupId } });
      return tx.studentGroup.findUniqueOrThrow({ where: { id: groupId }, include: { members: { select: { userId: true } } } });
    });
  }

  async leaveGroup(p: Principal) {
    this.requireCourse(p);
    await this.checkRoster(p.team.id);
    const { count } = await this.prisma.membership.updateMany({ where: { teamId: p.team.id, userId: p.user.id, groupId: { not: null } }, data: { groupId: null } });
    return count === 1;
  }
}
