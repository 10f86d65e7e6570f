import { Injectable } from '@nestjs/common';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { PrismaService } from '@trainyard/db';
import { generateApiKey, hashApiKey, looksLikeApiKey } from './api-key';

/** The caller a request acts for. Every repository call is scoped by its id. */
export interface TeamPrincipal {
  id: string;
  name: string;
  /** The key that authenticated the call (absent for principals made in-process, e.g. CLIs). */
  key?: ApiKeyPrincipal;
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

const unauthenticated = (why: string) => new TrainyardError(ErrorCode.UNAUTHENTICATED, why);

@Injectable()
export class AuthService {
  constructor(private readonly prisma: PrismaService) {}

  /** Creates a team with its first key. Returns the key once; only its digest is stored. */
  async createTeam(name: string): Promise<{ team: TeamPrincipal; apiKey: string }> {
    if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$/.test(name)) {
      throw new TrainyardError(ErrorCode.BAD_USER_INPUT, `team name "${name}" must be 1-63 letters, digits, spaces, _ . -`);
    }
    const generated = generateApiKey();
    const team = await this.prisma.team.create({
      data: { name, apiKeys: { create: { name: 'default', prefix: generated.prefix, secretHash: generated.secretHash } } },
      select: { id: true, name: true },
    });
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
  ): Promise<{ id: string; prefix: string; apiKey: string; scope: ApiKeyScope; models: string[] }> {
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
    return { id: row.id, prefix: row.prefix, apiKey: generated.key, scope, models };
  }

  async revokeApiKey(teamId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.apiKey.updateMany({
      where: { id, teamId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count === 1;
  }

  /** Resolves a bearer key to its team (and the key's scope), or throws UNAUTHENTICATED. */
  async authenticate(key: string | undefined): Promise<TeamPrincipal> {
    if (!key) throw unauthenticated('missing API key: send "Authorization: Bearer <key>"');
    if (!looksLikeApiKey(key)) throw unauthenticated('malformed API key');
    return this.authenticateDigest(hashApiKey(key));
  }

  /** authenticate() for a key already digested (serve caches by digest, never by the key itself). */
  async authenticateDigest(secretHash: string): Promise<TeamPrincipal> {
    const row = await this.prisma.apiKey.findUnique({
      where: { secretHash },
      select: { id: true, name: true, scope: true, models: true, revokedAt: true, lastUsedAt: true, team: { select: { id: true, name: true } } },
    });
    if (!row || row.revokedAt) throw unauthenticated('unknown or revoked API key');
    // Touch lastUsedAt at most once a minute, so hot predict traffic does not write on every call.
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
      await this.prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
    }
    const scope = (API_KEY_SCOPES as readonly string[]).includes(row.scope) ? (row.scope as ApiKeyScope) : 'predict';
    return { id: row.team.id, name: row.team.name, key: { id: row.id, name: row.name, scope, models: row.models } };
  }
}
