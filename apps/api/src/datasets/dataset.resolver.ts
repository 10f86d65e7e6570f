import { UseGuards } from '@nestjs/common';
import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ApiKeyGuard, CurrentPrincipal, CurrentTeam, Principal, RequireRole, TeamPrincipal } from '@trainyard/auth';
import { HiddenSplits } from '../assignments/hidden-splits.service';
import { badInput } from '@trainyard/common';
import { DatasetRepository } from '@trainyard/db';
import { Dataset, DatasetFormat, DatasetStatus } from '../graphql/types';

type DatasetRow = Awaited<ReturnType<DatasetRepository['get']>>;

/** The client's view of a dataset (also the JSON body of an upload): no storage keys, no internal ids. */
export const toDataset = (d: DatasetRow): Dataset => ({
  id: d.id,
  name: d.name,
  format: d.format as DatasetFormat,
  status: d.status as DatasetStatus,
  imageShape: d.imageShape,
  numClasses: d.numClasses,
  trainCount: d.trainCount,
  testCount: d.testCount,
  classHistogram: d.classHistogram,
  files: d.files.map((f) => ({
    role: f.role,
    sizeBytes: Number(f.sizeBytes),
    gzipped: f.gzipped,
    sha256: f.sha256,
    count: f.count,
    dims: f.dims,
    createdAt: f.createdAt,
  })),
  uploadUrl: `/v1/datasets/${d.id}/files`,
  createdAt: d.createdAt,
});

@Resolver(() => Dataset)
@UseGuards(ApiKeyGuard)
export class DatasetResolver {
  constructor(
    private readonly repo: DatasetRepository,
    private readonly hidden: HiddenSplits,
  ) {}

  /** Students do not get the hidden split's file records (a digest of the labels would confirm a guess). */
  private async shown(p: Principal, d: DatasetRow): Promise<Dataset> {
    const out = toDataset(d);
    if (await this.hidden.hidesFrom(p, d.id)) out.files = out.files.filter((f) => !f.role.startsWith('TEST_'));
    return out;
  }

  @Mutation(() => Dataset, { description: 'Creates an empty dataset; then PUT its files to uploadUrl.' })
  @RequireRole('member')
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
  @RequireRole('viewer')
  async datasets(@CurrentPrincipal() p: Principal) {
    return Promise.all((await this.repo.list(p.team.id)).map((d) => this.shown(p, d)));
  }

  @Query(() => Dataset)
  @RequireRole('viewer')
  async dataset(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    return this.shown(p, await this.repo.get(p.team.id, id));
  }
}
