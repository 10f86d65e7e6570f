import { UseGuards } from '@nestjs/common';
import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { actorOf, ApiKeyGuard, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { badInput, quote } from '@trainyard/common';
import { AuditRepository, CheckpointRepository, DeploymentRepository } from '@trainyard/db';
import { Deployment } from '../graphql/types';

type DeploymentRow = Awaited<ReturnType<DeploymentRepository['getByName']>>;

const toDeployment = (d: DeploymentRow): Deployment => ({
  id: d.id,
  name: d.name,
  checkpointId: d.checkpointId,
  experimentId: d.checkpoint.experiment.id,
  step: d.checkpoint.step,
  predictUrl: `/v1/models/${d.name}:predict`,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
});

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

@Resolver(() => Deployment)
@UseGuards(ApiKeyGuard)
export class DeploymentResolver {
  constructor(
    private readonly repo: DeploymentRepository,
    private readonly checkpointRepo: CheckpointRepository,
    private readonly audit: AuditRepository,
  ) {}

  @Mutation(() => Deployment, { description: 'Serves a checkpoint under a name; deploying an existing name moves it to the new checkpoint.' })
  async deployCheckpoint(
    @CurrentTeam() team: TeamPrincipal,
    @Args('name') name: string,
    @Args('checkpointId', { type: () => ID }) checkpointId: string,
  ) {
    if (!NAME.test(name)) throw badInput(`deployment name ${quote(name)} must match ${NAME}`, { field: 'name' });
    await this.checkpointRepo.getForTeam(team.id, checkpointId);
    const deployment = toDeployment(await this.repo.upsert(team.id, name, checkpointId));
    await this.audit.record({ teamId: team.id, actor: actorOf(team), action: 'deployment.deploy', target: name, details: { checkpointId } });
    return deployment;
  }

  @Mutation(() => Boolean, { description: 'Stops serving a name; its checkpoint may then be deleted by retention.' })
  async deleteDeployment(@CurrentTeam() team: TeamPrincipal, @Args('name') name: string) {
    const deleted = await this.repo.delete(team.id, name);
    if (deleted) await this.audit.record({ teamId: team.id, actor: actorOf(team), action: 'deployment.delete', target: name });
    return deleted;
  }

  @Query(() => [Deployment])
  async deployments(@CurrentTeam() team: TeamPrincipal) {
    return (await this.repo.list(team.id)).map(toDeployment);
  }

  @Query(() => Deployment)
  async deployment(@CurrentTeam() team: TeamPrincipal, @Args('name') name: string) {
    return toDeployment(await this.repo.getByName(team.id, name));
  }
}
