import { Injectable } from '@nestjs/common';
import { assertId, badInput, checkName as checkField, ErrorCode, quote, TrainyardError } from '@trainyard/common';
import { AuditActor, AuditRepository, PrismaService } from '@trainyard/db';
import { generateApiKey, hashApiKey, looksLikeApiKey } from './api-key';
import { AuthFailureLimiter } from './failure-limiter';
import { allows, Role } from './roles';

/** The team (or course) a request acts in. Every repository call is scoped by its id. */
export interface TeamPrincipal {
  id: string;
  name: string;
  kind?: 'TEAM' | 'COURSE';
  /** The key that authenticated the call (absent for principals made in-process, e.g. CLIs). */
  key?: ApiKeyPrincipal;
  /** The key of this request (by id and prefix: for the audit log), and whether it has the team's owner right. */
  keyId?: string;
  keyPrefix?: string;
  /** The owner right (e.g. reading the audit log): the team's owner key, or any key of a user with the owner (instructor) role. */
  owner?: boolean;
  /** The key's user and that user's role in the team (set for key-authenticated principals). */
  userId?: string;
  userName?: string;
  role?: Role;
}

/** Who made a request: the key's user, the team the key belongs to, and the user's role there. */
export interface Principal {
  team: TeamPrincipal & { kind: 'TEAM' | 'COURSE' };
  user: { id: string; name: string };
  role: Role;
  keyId: string;
  key: ApiKeyPrincipal;
}

export type ApiKeyScope = 'admin' | 'predict';
export const API_KEY_SCOPES: readonly ApiKeyScope[] = ['admin', 'predict'];

export interface ApiKeyPrincipal {
  id: string;
  name: string;
  /** 'admin': everything the user's role allows (GraphQL and predict); 'predict': the predict routes only. */
  scope: ApiKeyScope;
  /** Predict keys: model names this key may call; empty means all of the team's models. */
  models: string[];
}

const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The audit log's actor for a request's principal. */
export const actorOf = (team: TeamPrincipal): AuditActor => ({ keyId: team.keyId, keyPrefix: team.keyPrefix });

const unauthenticated = (why: string) => new TrainyardError(ErrorCode.UNAUTHENTICATED, why);

/** Names of people, teams and courses. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _.'@-]{0,62}$/;
export function checkName(what: string, name: string) {
  if (!NAME_PATTERN.test(name)) {
    throw badInput(`${what} "${name.slice(0, 40)}" must be 1-63 letters, digits, spaces, _ . ' @ -`, { field: 'name' });
  }
}

/** A principal from an authenticated team principal (which carries user and role). */
export function principalOf(team: TeamPrincipal): Principal {
  if (!team.userId || !team.role || !team.keyId || !team.key) throw new Error('principalOf: the team principal has no user');
  return {
    team: { ...team, kind: team.kind ?? 'TEAM' },
    user: { id: team.userId, name: team.userName ?? '' },
    role: team.role,
    keyId: team.keyId,
    key: team.key,
  };
}

@Injectable()
export class AuthService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditRepository,
    private readonly limiter: AuthFailureLimiter,
  ) {}

  /**
   * Creates a team (or a course) with its owner (instructor) user and that user's first key, the
   * team's owner key. Returns the key once; only its digest is stored.
   */
  async createTeam(
    name: string,
    opts: { kind?: 'TEAM' | 'COURSE'; ownerName?: string; ownerUserId?: string } = {},
  ): Promise<{ team: TeamPrincipal; userId: string; apiKey: string }> {
    if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$/.test(name)) {
      throw new TrainyardError(ErrorCode.BAD_USER_INPUT, `team name ${quote(name)} must be 1-63 letters, digits, spaces, _ . -`);
    }
    const kind = opts.kind ?? 'TEAM';
    const generated = generateApiKey();
    const created = await this.prisma.$transaction(async (tx) => {
      const userId = opts.ownerUserId ?? (await tx.user.create({ data: { name: opts.ownerName ?? `${name} owner` } })).id;
      const team = await tx.team.create({ data: { name, kind }, select: { id: true, name: true, kind: true } });
      await tx.membership.create({ data: { teamId: team.id, userId, role: kind === 'COURSE' ? 'INSTRUCTOR' : 'OWNER' } });
      await tx.apiKey.create({
        data: { teamId: team.id, userId, name: 'default', prefix: generated.prefix, secretHash: generated.secretHash, owner: true },
      });
      return { team, userId, apiKey: generated.key };
    });
    await this.audit.record({
      teamId: created.team.id,
      action: kind === 'COURSE' ? 'course.create' : 'team.create',
      target: created.team.id,
      details: { name, ownerKeyPrefix: generated.prefix },
    });
    return created;
  }

  /**
   * A new key. With `userId` the key acts as that user (with the user's role); without one (server
   * code, CLIs) the key gets its own user with the admin (assistant) role: every right of the team
   * except the owner's. `scope: 'predict'` keys call only the predict routes, and with `models` only
   * those model names.
   */
  async createApiKey(
    teamId: string,
    name: string,
    opts: { scope?: ApiKeyScope; models?: string[]; userId?: string } = {},
    actor?: AuditActor,
  ): Promise<{ id: string; prefix: string; apiKey: string; scope: ApiKeyScope; models: string[] }> {
    checkField('name', name);
    const scope = opts.scope ?? 'admin';
    if (!API_KEY_SCOPES.includes(scope)) throw new TrainyardError(ErrorCode.BAD_USER_INPUT, `scope must be one of ${API_KEY_SCOPES.join(', ')}`);
    const models = [...new Set(opts.models ?? [])];
    if (models.length > 0 && scope !== 'predict') {
      throw new TrainyardError(ErrorCode.BAD_USER_INPUT, 'models can only limit a predict-scoped key', { field: 'models' });
    }
    const bad = models.find((m) => !MODEL_NAME.test(m));
    if (bad !== undefined) {
      throw new TrainyardError(ErrorCode.BAD_USER_INPUT, `model name "${bad.slice(0, 64)}" must match ${MODEL_NAME}`, { field: 'models' });
    }
    const generated = generateApiKey();
    const row = await this.prisma.$transaction(async (tx) => {
      let userId = opts.userId;
      if (!userId) {
        const team = await tx.team.findUniqueOrThrow({ where: { id: teamId }, select: { kind: true } });
        userId = (await tx.user.create({ data: { name: `${name} (key)` } })).id;
        await tx.membership.create({ data: { teamId, userId, role: team.kind === 'COURSE' ? 'ASSISTANT' : 'ADMIN' } });
      }
      return tx.apiKey.create({
        data: { teamId, userId, name, prefix: generated.prefix, secretHash: generated.secretHash, scope, models },
      });
    });
    await this.audit.record({ teamId, actor, action: 'apiKey.create', target: row.id, details: { name, prefix: row.prefix, scope } });
    return { id: row.id, prefix: row.prefix, apiKey: generated.key, scope, models };
  }

  /** Revokes one of the caller's keys; admins and owners may revoke any key of their team. */
  async revokeApiKey(principal: Principal, id: string): Promise<boolean> {
    assertId('API key', id);
    const mayRevokeOthers = allows(principal.role, 'admin');
    const { count } = await this.prisma.apiKey.updateMany({
      where: { id, teamId: principal.team.id, revokedAt: null, ...(mayRevokeOthers ? {} : { userId: principal.user.id }) },
      data: { revokedAt: new Date() },
    });
    if (count === 1) await this.audit.record({ teamId: principal.team.id, actor: actorOf(principal.team), action: 'apiKey.revoke', target: id });
    return count === 1;
  }

  /**
   * Resolves a bearer key to its user, team and role, or throws UNAUTHENTICATED. Failures count
   * against the client's address (AuthFailureLimiter): past the limit it gets RATE_LIMITED, whatever
   * it sends.
   */
  async authenticate(key: string | undefined, address?: string): Promise<Principal> {
    await this.limiter.check(address);
    const fail = async (why: string) => {
      await this.limiter.fail(address);
      return unauthenticated(why);
    };
    if (!key) throw await fail('missing API key: send "Authorization: Bearer <key>"');
    if (!looksLikeApiKey(key)) throw await fail('malformed API key');
    try {
      return principalOf(await this.authenticateDigest(hashApiKey(key)));
    } catch (err) {
      if (err instanceof TrainyardError && err.code === ErrorCode.UNAUTHENTICATED) await this.limiter.fail(address);
      throw err;
    }
  }

  /** authenticate() for a key already digested (serve caches by digest, never by the key itself). */
  async authenticateDigest(secretHash: string): Promise<TeamPrincipal & { kind: 'TEAM' | 'COURSE'; key: ApiKeyPrincipal; userId: string; role: Role }> {
    const row = await this.prisma.apiKey.findUnique({
      where: { secretHash },
      select: {
        id: true,
        teamId: true,
        name: true,
        prefix: true,
        owner: true,
        scope: true,
        models: true,
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
    const scope = (API_KEY_SCOPES as readonly string[]).includes(row.scope) ? (row.scope as ApiKeyScope) : 'predict';
    const role = membership.role as Role;
    return {
      id: row.team.id,
      name: row.team.name,
      kind: row.team.kind,
      key: { id: row.id, name: row.name, scope, models: row.models },
      keyId: row.id,
      keyPrefix: row.prefix,
      // The owner role implies the owner right; the owner key keeps it too.
      owner: row.owner || allows(role, 'owner'),
      userId: row.user.id,
      userName: row.user.name,
      role,
    };
  }
}
