import { Injectable } from '@nestjs/common';
import { badInput, ErrorCode, TrainyardError } from '@trainyard/common';
import { PrismaService } from '@trainyard/db';
import { generateApiKey, hashApiKey, looksLikeApiKey } from './api-key';
import { allows, Role } from './roles';

/** The team (or course) a request acts in. Every repository call is scoped by its id. */
export interface TeamPrincipal {
  id: string;
  name: string;
  kind?: 'TEAM' | 'COURSE';
}

/** Who made a request: the key's user, the team the key belongs to, and the user's role there. */
export interface Principal {
  team: TeamPrincipal & { kind: 'TEAM' | 'COURSE' };
  user: { id: string; name: string };
  role: Role;
  keyId: string;
}

const unauthenticated = (why: string) => new TrainyardError(ErrorCode.UNAUTHENTICATED, why);

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _.'@-]{0,62}$/;
export function checkName(what: string, name: string) {
  if (!NAME_PATTERN.test(name)) {
    throw badInput(`${what} "${name.slice(0, 40)}" must be 1-63 letters, digits, spaces, _ . ' @ -`, { field: 'name' });
  }
}

@Injectable()
export class AuthService {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Creates a team (or a course) with its owner (instructor) user and that user's first key.
   * Returns the key once; only its digest is stored.
   */
  async createTeam(
    name: string,
    opts: { kind?: 'TEAM' | 'COURSE'; ownerName?: string; ownerUserId?: string } = {},
  ): Promise<{ team: TeamPrincipal; userId: string; apiKey: string }> {
    if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$/.test(name)) {
      throw new TrainyardError(ErrorCode.BAD_USER_INPUT, `team name "${name.slice(0, 40)}" must be 1-63 letters, digits, spaces, _ . -`);
    }
    const kind = opts.kind ?? 'TEAM';
    const generated = generateApiKey();
    return this.prisma.$transaction(async (tx) => {
      const userId = opts.ownerUserId ?? (await tx.user.create({ data: { name: opts.ownerName ?? `${name} owner` } })).id;
      const team = await tx.team.create({ data: { name, kind }, select: { id: true, name: true, kind: true } });
      await tx.membership.create({ data: { teamId: team.id, userId, role: kind === 'COURSE' ? 'INSTRUCTOR' : 'OWNER' } });
      await tx.apiKey.create({ data: { teamId: team.id, userId, name: 'default', prefix: generated.prefix, secretHash: generated.secretHash } });
      return { team, userId, apiKey: generated.key };
    });
  }

  /** A new key for the caller (a user's keys act with that user's role). */
  async createApiKey(teamId: string, userId: string, name: string): Promise<{ id: string; prefix: string; apiKey: string }> {
    const generated = generateApiKey();
    const row = await this.prisma.apiKey.create({
      data: { teamId, userId, name, prefix: generated.prefix, secretHash: generated.secretHash },
    });
    return { id: row.id, prefix: row.prefix, apiKey: generated.key };
  }

  /** Revokes one of the caller's keys; admins and owners may revoke any key of their team. */
  async revokeApiKey(principal: Principal, id: string): Promise<boolean> {
    const mayRevokeOthers = allows(principal.role, 'admin');
    const { count } = await this.prisma.apiKey.updateMany({
      where: { id, teamId: principal.team.id, revokedAt: null, ...(mayRevokeOthers ? {} : { userId: principal.user.id }) },
      data: { revokedAt: new Date() },
    });
    return count === 1;
  }

  /** Resolves a bearer key to its user, team and role, or throws UNAUTHENTICATED. */
  async authenticate(key: string | undefined): Promise<Principal> {
    if (!key) throw unauthenticated('missing API key: send "Authorization: Bearer <key>"');
    if (!looksLikeApiKey(key)) throw unauthenticated('malformed API key');
    const row = await this.prisma.apiKey.findUnique({
      where: { secretHash: hashApiKey(key) },
      select: {
        id: true,
        teamId: true,
        revokedAt: true,
        lastUsedAt: true,
        team: { select: { id: true, name: true, kind: true } },
        user: { select: { id: true, name: true, memberships: { select: { teamId: true, role: true } } } },
      },
    });
    if (!row || row.revokedAt) throw unauthenticated('unknown or revoked API key');
    const membership = row.user.memberships.find((m) => m.teamId === row.teamId);
    // A user removed from the team keeps no access through old keys.
    if (!membership) throw unauthenticated('unknown or revoked API key');
    // Touch lastUsedAt at most once a minute, so hot predict traffic does not write on every call.
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
      await this.prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
    }
    return { team: row.team, user: { id: row.user.id, name: row.user.name }, role: membership.role, keyId: row.id };
  }
}
