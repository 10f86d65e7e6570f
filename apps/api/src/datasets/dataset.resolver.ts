import { UseGuards } from '@nestjs/common';
import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentTeam, TeamPrincipal } from '@trainyard/auth';
import { badInput } from '@trainyard/common';
import { DatasetRepository } from '@trainyard/db';
import { Dataset, DatasetFormat, DatasetStatus } from '../graphql/types';

type DatasetRow = Awaited<ReturnType<DatasetRepository['get']>>;

export const toDataset = (d: DatasetRow): Dataset => ({
  ...d,
  format: d.format as DatasetFormat,
  status: d.status as DatasetStatus,
  files: d.files.map((f) => ({ ...f, sizeBytes: Number(f.sizeBytes) })),
  uploadUrl: `/v1/datasets/${d.id}/files`,
});

@Resolver(() => Dataset)
@UseGuards(ApiKeyGuard)
export class DatasetResolver {
  constructor(private readonly repo: DatasetRepository) {}

  @Mutation(() => Dataset, { description: 'Creates an empty dataset; then PUT its files to uploadUrl.' })
  async createDataset(
    @CurrentTeam() team: TeamPrincipal,
    @Args('name') name: string,
    @Args('format', { type: () => DatasetFormat, defaultValue: DatasetFormat.MNIST }) format: DatasetFormat,
  ) {
    if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,127}$/.test(name)) {
      throw badInput(`dataset name "${name}" must be 1-128 letters, digits, spaces, _ . -`, { field: 'name' });
    }
    return toDataset({ ...(await this.repo.create(team.id, name, format)), files: [] });
  }

  @Query(() => [Dataset])
  async datasets(@CurrentTeam() team: TeamPrincipal) {
    return (await this.repo.list(team.id)).map(toDataset);
  }

  @Query(() => Dataset)
  async dataset(@CurrentTeam() team: TeamPrincipal, @Args('id', { type: () => ID }) id: string) {
    return toDataset(await this.repo.get(team.id, id));
  }
}
