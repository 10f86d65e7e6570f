import { Injectable } from '@nestjs/common';
import { notFound } from '@trainyard/common';
import { PrismaService } from '../prisma/prisma.service';

const withModel = { checkpoint: { include: { experiment: { select: { id: true, spec: true, datasetId: true, userId: true } } } } } as const;

/** Named deployments of checkpoints; names are unique per team. */
@Injectable()
export class DeploymentRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Creates the deployment, or points an existing name at the new checkpoint. */
  upsert(teamId: string, name: string, checkpointId: string) {
    return this.prisma.deployment.upsert({
      where: { teamId_name: { teamId, name } },
      create: { teamId, name, checkpointId },
      update: { checkpointId },
      include: withModel,
    });
  }

  list(teamId: string) {
    return this.prisma.deployment.findMany({ where: { teamId }, orderBy: { name: 'asc' }, include: withModel });
  }

  async getByName(teamId: string, name: string) {
    const d = await this.prisma.deployment.findUnique({ where: { teamId_name: { teamId, name } }, include: withModel });
    if (!d) throw notFound('model', name);
    return d;
  }

  async delete(teamId: string, name: string): Promise<boolean> {
    const { count } = await this.prisma.deployment.deleteMany({ where: { teamId, name } });
    return count === 1;
  }
}
