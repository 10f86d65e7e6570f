import { Injectable } from '@nestjs/common';
import { assertId, checkName, ErrorCode, quote, TrainyardError } from '@trainyard/common';
import { AuditActor, AuditRepository, PrismaService } from '@trainyard/db';
import { AuthFailureLimiter } from './failure-limiter';
import { generateApiKey, hashApiKey, looksLikeApiKey } from './api-key';

/** The caller a request acts for. Every repository call is scoped by its id. */
export interface TeamPrincipal {
  id: string;
  name: string;
  /** The key that authenticated the call (absent for principals made in-process, e.g. CLIs). */
  key?: ApiKeyPrincipal;
  /** The key of this request (by id and prefix: for the audit log), and whether it is the team's owner key. */
  keyId?: string;
  keyPrefix?: string;
  owner?: boolean;
}

export type ApiKeyScope = 'admin' | 'predict';
export const API_KEY_SCOPES: readonly ApiKeyScope[] = ['admin', 'predict'];

export interface ApiKeyPrincipal {
  id: string;
  name: string;
  /** 'admin': everything (GraphQL and predict); 'predict': the predict routes only. */
  scope: ApiKeyScope;
  /** Predict keys: model names this key may call; empty means all of the team's models. */
  models: string[];
}

const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The audit log's actor for a request's principal. */
export const actorOf = (team: TeamPrincipal): AuditActor => ({ keyId: team.keyId, keyPrefix: team.keyPrefix });

const unauthenticated = (why: string) => new TrainyardError(ErrorCode.UNAUTHENTICATED, why);

@Injectable()
export class AuthService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditRepository,
    private readonly limiter: AuthFailureLimiter,
  ) {}

  /** Creates a team with its first key. Returns the key once; only its digest is stored. */
  async createTeam(name: string): Promise<{ team: TeamPrincipal; apiKey: string }> {
    if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$/.test(name)) {
      throw new TrainyardError(ErrorCode.BAD_USER_INPUT, `team name ${quote(name)} must be 1-63 letters, digits, spaces, _ . -`);
    }
    const generated = generateApiKey();
    const team = await this.prisma.team.create({
      data: { name, apiKeys: { create: { name: 'default', prefix: generated.prefix, secretHash: generated.secretHash, owner: true } } },
      select: { id: true, name: true },
    });
    await this.audit.record({ teamId: team.id, action: 'team.create', target: team.id, details: { name, ownerKeyPrefix: generated.prefix } });
    return { team, apiKey: generated.key };
  }

  /**
   * A new key for an application. `scope: 'predict'` keys call only the predict routes, and with
   * `models` only those model names.
   */
  async createApiKey(
    teamId: string,
    name: string,
    opts: { scope?: ApiKeyScope; models?: string[] } = {},
    actor?: AuditActor,
  ): Promise<{ id: string; prefix: string; apiKey: string; scope: ApiKeyScope; models: string[] }> {
    checkName('name', name);
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
    const row = await this.prisma.apiKey.create({
      data: { teamId, name, prefix: generated.prefix, secretHash: generated.secretHash, scope, models },
    });
    await this.audit.record({ teamId, actor, action: 'apiKey.create', target: row.id, details: { name, prefix: row.prefix, scope } });
    return { id: row.id, prefix: row.prefix, apiKey: generated.key, scope, models };
  }

  async revokeApiKey(teamId: string, id: string, actor?: AuditActor): Promise<boolean> {
    assertId('API key', id);
    const { count } = await this.prisma.apiKey.updateMany({
      where: { id, teamId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (count === 1) await this.audit.record({ teamId, actor, action: 'apiKey.revoke', target: id });
    return count === 1;
  }

  /**
   * Resolves a bearer key to its team (and the key's scope), or throws UNAUTHENTICATED. Failures
   * count against the client's address (AuthFailureLimiter): past the limit it gets RATE_LIMITED,
   * whatever it sends.
   */
  async authenticate(key: string | undefined, address?: string): Promise<TeamPrincipal> {
    this.limiter.check(address);
    const fail = (why: string) => {
      this.limiter.fail(address);
      return unauthenticated(why);
    };
    if (!key) throw fail('missing API key: send "Authorization: Bearer <key>"');
    if (!looksLikeApiKey(key)) throw fail('malformed API key');
    try {
      return await this.authenticateDigest(hashApiKey(key));
    } catch (err) {
      if (err instanceof TrainyardError && err.code === ErrorCode.UNAUTHENTICATED) this.limiter.fail(address);
      throw err;
    }
  }

  /** authenticate() for a key already digested (serve caches by digest, never by the key itself). */
  async authenticateDigest(secretHash: string): Promise<TeamPrincipal> {
    const row = await this.prisma.apiKey.findUnique({
      where: { secretHash },
      select: { id: true, name: true, prefix: true, owner: true, scope: true, models: true, revokedAt: true, lastUsedAt: true, team: { select: { id: true, name: true } } },
    });
    if (!row || row.revokedAt) throw unauthenticated('unknown or revoked API key');
    // Touch lastUsedAt at most once a minute, so hot predict traffic does not write on every call.
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
      await this.prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
    }
    const scope = (API_KEY_SCOPES as readonly string[]).includes(row.scope) ? (row.scope as ApiKeyScope) : 'predict';
    return {
      id: row.team.id,
      name: row.team.name,
      key: { id: row.id, name: row.name, scope, models: row.models },
      keyId: row.id,
      keyPrefix: row.prefix,
      owner: row.owner,
    };
  }
}
