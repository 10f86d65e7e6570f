import { Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';
import { NEWEST_FIRST_ORDER, NewestFirstKey, namePrefix, olderThan } from './paging';

/** Who acted: the API key of the request (by id and prefix, never the key), or none for a server command. */
export interface AuditActor {
  keyId?: string;
  keyPrefix?: string;
}

export interface NewAuditEvent {
  teamId: string;
  actor?: AuditActor;
  /** apiKey.create, apiKey.revoke, deployment.deploy, deployment.delete, team.create, experiment.delete, dataset.delete... */
  action: string;
  target: string;
  details?: Prisma.InputJsonValue;
}

/** The append-only audit log. Callers record after the change committed. */
@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  async record(e: NewAuditEvent): Promise<void> {
    await this.prisma.auditEvent.create({
      data: {
        teamId: e.teamId,
        actorKeyId: e.actor?.keyId ?? null,
        actorKeyPrefix: e.actor?.keyPrefix ?? null,
        action: e.action,
        target: e.target,
        details: e.details,
      },
    });
  }

  /** A team's events, newest first; `before` pages back. */
  /** A page of the team's audit log, newest first; action: exact, or a prefix ending in '.' ("deployment."). */
  page(teamId: string, filter: { action?: string }, after: NewestFirstKey | undefined, take: number) {
    return this.prisma.auditEvent.findMany({ where: { AND: [this.filterWhere(teamId, filter), olderThan(after)] }, orderBy: NEWEST_FIRST_ORDER, take });
  }

  count(teamId: string, filter: { action?: string }) {
    return this.prisma.auditEvent.count({ where: this.filterWhere(teamId, filter) });
  }

  private filterWhere(teamId: string, f: { action?: string }) {
    if (!f.action) return { teamId };
    return { teamId, action: f.action.endsWith('.') ? { startsWith: f.action } : f.action };
  }

  list(teamId: string, limit: number, before?: Date) {
    return this.prisma.auditEvent.findMany({
      where: { teamId, ...(before ? { createdAt: { lt: before } } : {}) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }
}
