import { Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';

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
  list(teamId: string, limit: number, before?: Date) {
    return this.prisma.auditEvent.findMany({
      where: { teamId, ...(before ? { createdAt: { lt: before } } : {}) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }
}
