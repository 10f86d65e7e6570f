import { UseGuards } from '@nestjs/common';
import { Args, Field, ID, InputType, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Connection, ConnectionType, PageArgs } from '../graphql/connection';
import { ApiKeyGuard, CurrentPrincipal, Principal, RequireRole } from '@trainyard/auth';
import { toDeployment, toServedModel } from './deployment.mapper';
import { DeploymentService } from './deployment.service';
import { Deployment, DeployOptionsInput, ServedModel } from './deployment.types';

@InputType({ description: 'Served models matching every field given.' })
export class ModelFilter {
  @Field({ nullable: true, description: 'Names starting with this (case-sensitive).' }) namePrefix?: string;
}

export const ServedModelConnection = ConnectionType(ServedModel);
export const DeploymentConnection = ConnectionType(Deployment);

@Resolver(() => ServedModel)
@UseGuards(ApiKeyGuard)
export class DeploymentResolver {
  constructor(private readonly service: DeploymentService) {}

  @Mutation(() => Deployment, {
    description: 'Deploys a checkpoint under a model name as its next version (1, 2, 3...); by default it becomes the default version once loaded by each serve process.',
  })
  @RequireRole('member')
  async deployCheckpoint(
    @CurrentPrincipal() p: Principal,
    @Args('name') name: string,
    @Args('checkpointId', { type: () => ID }) checkpointId: string,
    @Args('options', { type: () => DeployOptionsInput, nullable: true }) options?: DeployOptionsInput,
  ) {
    const { deployment, model } = await this.service.deploy(p, name, checkpointId, options ?? {});
    return toDeployment(model.versions.find((v) => v.id === deployment.id)!, model);
  }

  @Mutation(() => ServedModel, { description: 'Makes a deployed version the default of its model.' })
  async setDefaultVersion(@CurrentPrincipal() p: Principal, @Args('name') name: string, @Args('version', { type: () => Int }) version: number) {
    return toServedModel(await this.service.setDefault(p, name, version));
  }

  @Mutation(() => ServedModel, { description: 'Makes the previous default version the default again.' })
  async rollbackModel(@CurrentPrincipal() p: Principal, @Args('name') name: string) {
    return toServedModel(await this.service.rollback(p, name));
  }

  @Mutation(() => ServedModel, { description: 'Points a label (stable, canary...) at a version; version null removes the label.' })
  async setVersionLabel(
    @CurrentPrincipal() p: Principal,
    @Args('name') name: string,
    @Args('label') label: string,
    @Args('version', { type: () => Int, nullable: true }) version?: number | null,
  ) {
    return toServedModel(await this.service.setLabel(p, name, label, version ?? null));
  }

  @Mutation(() => ServedModel, { description: 'Sends percent (0-100) of default-routed calls to version; version null or percent 0 turns the split off.' })
  async setTrafficSplit(
    @CurrentPrincipal() p: Principal,
    @Args('name') name: string,
    @Args('percent', { type: () => Int }) percent: number,
    @Args('version', { type: () => Int, nullable: true }) version?: number | null,
  ) {
    return toServedModel(await this.service.setTrafficSplit(p, name, version ?? null, percent));
  }

  @Mutation(() => Boolean, { description: 'Stops serving one version (not the default, unless it is the last one).' })
  undeployVersion(@CurrentPrincipal() p: Principal, @Args('name') name: string, @Args('version', { type: () => Int }) version: number) {
    return this.service.undeployVersion(p, name, version);
  }

  @Mutation(() => Boolean, { description: 'Stops serving a model name, every version; its checkpoints may then be deleted by retention.' })
  @RequireRole('member')
  deleteDeployment(@CurrentPrincipal() p: Principal, @Args('name') name: string) {
    return this.service.undeploy(p, name);
  }

  @Query(() => ServedModelConnection, { description: "The team's served models with their versions, by name." })
  @RequireRole('viewer')
  models(@CurrentPrincipal() p: Principal, @Args() page: PageArgs, @Args('filter', { type: () => ModelFilter, nullable: true }) filter?: ModelFilter) {
    return this.service.modelsPage(p, { namePrefix: filter?.namePrefix }, page, toServedModel);
  }

  @Query(() => ServedModel)
  @RequireRole('viewer')
  async model(@CurrentPrincipal() p: Principal, @Args('name') name: string) {
    return toServedModel(await this.service.model(p, name));
  }

  @Query(() => DeploymentConnection, { description: 'The default version of each served model, by model name (paged as models is).' })
  @RequireRole('viewer')
  async deployments(@CurrentPrincipal() p: Principal, @Args() page: PageArgs, @Args('filter', { type: () => ModelFilter, nullable: true }) filter?: ModelFilter) {
    const models = await this.service.modelsPage(p, { namePrefix: filter?.namePrefix }, page, (m) => m);
    // A model has no default only while its first version is being deployed: it is left out.
    const edges = models.edges.flatMap((e) => {
      const d = e.node.versions.find((v) => v.version === e.node.defaultVersion);
      return d ? [{ cursor: e.cursor, node: toDeployment(d, e.node) }] : [];
    });
    // Replace the edges in place: a spread would run the lazy totalCount.
    return Object.assign(models, { edges }) as unknown as Connection<Deployment>;
  }

  @Query(() => Deployment, { description: 'The default version of a served model.' })
  @RequireRole('viewer')
  async deployment(@CurrentPrincipal() p: Principal, @Args('name') name: string) {
    const m = await this.service.model(p, name);
    const d = m.versions.find((v) => v.version === m.defaultVersion) ?? m.versions[m.versions.length - 1];
    return toDeployment(d, m);
  }
}
