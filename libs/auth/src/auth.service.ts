import { Injectable } from '@nestjs/common';
import { ErrorCode, TrainyardError } from '@trainyard/common';
import { PrismaService } from '@trainyard/db';
import { generateApiKey, hashApiKey, looksLikeApiKey } from './api-key';

/** The caller a request acts for. Every repository call is scoped by its id. */
export interface TeamPrincipal {
  id: string;
  name: string;
}

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

  async createApiKey(teamId: string, name: string): Promise<{ id: string; prefix: string; apiKey: string }> {
    const generated = generateApiKey();
    const row = await this.prisma.apiKey.create({
      data: { teamId, name, prefix: generated.prefix, secretHash: generated.secretHash },
    });
    return { id: row.id, prefix: row.prefix, apiKey: generated.key };
  }

  async revokeApiKey(teamId: string, id: string): Promise<boolean> {
    const { count } = await this.prisma.apiKey.updateMany({
      where: { id, teamId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count === 1;
  }

  /** Resolves a bearer key to its team, or throws UNAUTHENTICATED. */
  async authenticate(key: string | undefined): Promise<TeamPrincipal> {
    if (!key) throw unauthenticated('missing API key: send "Authorization: Bearer <key>"');
    if (!looksLikeApiKey(key)) throw unauthenticated('malformed API key');
    const row = await this.prisma.apiKey.findUnique({
      where: { secretHash: hashApiKey(key) },
      select: { id: true, revokedAt: true, lastUsedAt: true, team: { select: { id: true, name: true } } },
    });
    if (!row || row.revokedAt) throw unauthenticated('unknown or revoked API key');
    // Touch lastUsedAt at most once a minute, so hot predict traffic does not write on every call.
    if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
      await this.prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
    }
    return row.team;
  }
}
