import { UseGuards } from '@nestjs/common';
import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole, VisibilityService } from '@trainyard/auth';
import { badInput, ErrorCode, TrainyardError } from '@trainyard/common';
import { CheckpointRepository, DeploymentRepository } from '@trainyard/db';
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
    private readonly visibility: VisibilityService,
  ) {}

  @Mutation(() => Deployment, { description: 'Serves a checkpoint under a name; deploying an existing name moves it to the new checkpoint.' })
  @RequireRole('member')
  async deployCheckpoint(
    @CurrentPrincipal() p: Principal,
    @Args('name') name: string,
    @Args('checkpointId', { type: () => ID }) checkpointId: string,
  ) {
    if (!NAME.test(name)) throw badInput(`deployment name "${name}" must match ${NAME}`, { field: 'name' });
    const c = await this.checkpointRepo.getForTeam(p.team.id, checkpointId);
    await this.visibility.assertSees(p, c.experiment.userId, 'checkpoint', checkpointId);
    if (this.visibility.restricted(p)) {
      // In a course, names are shared: a student may move only a deployment of their own.
      const existing = await this.repo.getByName(p.team.id, name).catch(() => undefined);
      const owners = await this.visibility.ownerIds(p);
      if (existing && !owners?.includes(existing.checkpoint.experiment.userId ?? '')) {
        throw new TrainyardError(ErrorCode.CONFLICT, `the name "${name}" is taken in this course; pick another`, { field: 'name' });
      }
    }
    return toDeployment(await this.repo.upsert(p.team.id, name, checkpointId));
  }

  @Mutation(() => Boolean, { description: 'Stops serving a name; its checkpoint may then be deleted by retention.' })
  @RequireRole('member')
  async deleteDeployment(@CurrentPrincipal() p: Principal, @Args('name') name: string) {
    const d = await this.repo.getByName(p.team.id, name);
    await this.visibility.assertSees(p, d.checkpoint.experiment.userId, 'model', name);
    return this.repo.delete(p.team.id, name);
  }

  @Query(() => [Deployment])
  @RequireRole('viewer')
  async deployments(@CurrentPrincipal() p: Principal) {
    const owners = await this.visibility.ownerIds(p);
    const rows = await this.repo.list(p.team.id);
    return rows.filter((d) => !owners || (d.checkpoint.experiment.userId && owners.includes(d.checkpoint.experiment.userId))).map(toDeployment);
  }

  @Query(() => Deployment)
  @RequireRole('viewer')
  async deployment(@CurrentPrincipal() p: Principal, @Args('name') name: string) {
    const d = await this.repo.getByName(p.team.id, name);
    await this.visibility.assertSees(p, d.checkpoint.experiment.userId, 'model', name);
    return toDeployment(d);
  }
}
