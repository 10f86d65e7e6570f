import { Inject, UseGuards } from '@nestjs/common';
import { EVENT_BUS, mapEvents, subscribeEvents, topic, TrainyardEvent } from '@trainyard/events';
import { PubSubEngine } from 'graphql-subscriptions';
import { ConnectionType, keysetPage, NEWEST_FIRST, PageArgs, Key } from '../graphql/connection';
import { Args, Field, Float, ID, InputType, Mutation, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import GraphQLJSON from 'graphql-type-json';
import { ApiKeyGuard, CurrentPrincipal, CurrentTeam, Principal, RequireRole, TeamPrincipal } from '@trainyard/auth';
import { HiddenSplits } from '../assignments/hidden-splits.service';
import { badInput, quote } from '@trainyard/common';
import { DatasetRepository, DatasetVersionRepository } from '@trainyard/db';
import { Dataset, DatasetFile, DatasetFormat, DatasetStatus } from '../graphql/types';
import { DatasetService } from './dataset.service';
import { DatasetVersion, PresignedUpload, toDatasetVersion, UploadedPartInput } from './dataset.types';

@InputType({ description: 'Datasets matching every field given.' })
export class DatasetFilter {
  @Field({ nullable: true, description: 'Names starting with this (case-sensitive).' }) namePrefix?: string;
  @Field(() => DatasetStatus, { nullable: true }) status?: DatasetStatus;
}

export const DatasetConnection = ConnectionType(Dataset);

type DatasetRow = Awaited<ReturnType<DatasetRepository['get']>>;
type VersionRow = NonNullable<Awaited<ReturnType<DatasetVersionRepository['current']>>>;

/** An idx source as the files list shows it (role TRAIN_IMAGES for train-images). */
const sourceAsFile = (s: VersionRow['sources'][number]): DatasetFile => {
  const d = (s.details ?? {}) as { count?: number; dims?: number[]; gzipped?: boolean };
  return {
    role: s.name.toUpperCase().replace(/-/g, '_'),
    sizeBytes: Number(s.bytesReceived),
    gzipped: d.gzipped ?? false,
    sha256: s.sha256 ?? '',
    count: d.count ?? 0,
    dims: d.dims?.slice(1) ?? [],
    createdAt: s.createdAt,
  };
};

/**
 * The client's view of a dataset (also the JSON body of an upload): the summary of its current
 * (newest READY) version, and that version's files; no storage keys, no internal ids.
 */
export const toDataset = (d: DatasetRow, shown?: VersionRow | null): Dataset => ({
  id: d.id,
  name: d.name,
  format: d.format as DatasetFormat,
  status: d.status as DatasetStatus,
  imageShape: d.imageShape,
  numClasses: d.numClasses,
  trainCount: d.trainCount,
  testCount: d.testCount,
  classHistogram: d.classHistogram,
  files: shown
    ? shown.sources.filter((s) => s.sha256).map(sourceAsFile)
    : d.files.map((f) => ({
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
    private readonly versions: DatasetVersionRepository,
    private readonly service: DatasetService,
    private readonly hidden: HiddenSplits,
    @Inject(EVENT_BUS) private readonly bus: PubSubEngine,
  ) {}

  /** Students do not get the hidden split's file records (a digest of the labels would confirm a guess). */
  private async view(p: Principal, d: DatasetRow) {
    const out = toDataset(d, (await this.versions.current(d.id)) ?? (await this.versions.open(d.id)));
    if (await this.hidden.hidesFrom(p, d.id)) out.files = out.files.filter((f) => !f.role.startsWith('TEST'));
    return out;
  }

  private async version(p: Principal, datasetId: string, v: Parameters<typeof toDatasetVersion>[0]) {
    const out = toDatasetVersion(v);
    return (await this.hidden.hidesFrom(p, datasetId)) ? this.hidden.redactVersion(out) : out;
  }

  @Mutation(() => Dataset, { description: 'Creates an empty dataset; then createDatasetVersion (any format), or PUT idx files to uploadUrl.' })
  @RequireRole('member')
  async createDataset(
    @CurrentTeam() team: TeamPrincipal,
    @Args('name') name: string,
    @Args('format', { type: () => DatasetFormat, defaultValue: DatasetFormat.MNIST, deprecationReason: 'formats are per version: createDatasetVersion(format)' }) format: DatasetFormat,
  ) {
    if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,127}$/.test(name)) {
      throw badInput(`dataset name ${quote(name)} must be 1-128 letters, digits, spaces, _ . -`, { field: 'name' });
    }
    return toDataset({ ...(await this.repo.create(team.id, name, format)), files: [] });
  }

  @Query(() => DatasetConnection, { description: 'Newest first (createdAt, then id).' })
  @RequireRole('viewer')
  async datasets(@CurrentPrincipal() p: Principal, @Args() page: PageArgs, @Args('filter', { type: () => DatasetFilter, nullable: true }) filter?: DatasetFilter) {
    const f = { namePrefix: filter?.namePrefix, status: filter?.status };
    return keysetPage(
      {
        list: 'datasets',
        ...NEWEST_FIRST,
        fetch: (after: Key | undefined, take: number) => this.repo.page(p.team.id, f, NEWEST_FIRST.after(after), take),
        count: () => this.repo.count(p.team.id, f),
      },
      page,
      (d) => this.view(p, d),
    );
  }

  @Query(() => Dataset)
  @RequireRole('viewer')
  async dataset(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    return this.view(p, await this.repo.get(p.team.id, id));
  }

  @ResolveField('versions', () => [DatasetVersion], { description: 'Every version, newest first.' })
  async versionList(@CurrentPrincipal() p: Principal, @Parent() d: Dataset) {
    return Promise.all((await this.versions.list(d.id)).map((v) => this.version(p, d.id, v)));
  }

  @ResolveField(() => DatasetVersion, { nullable: true, description: 'The newest READY version: what experiments train on unless they name one.' })
  async currentVersion(@CurrentPrincipal() p: Principal, @Parent() d: Dataset) {
    const v = await this.versions.current(d.id);
    return v ? this.version(p, d.id, v) : null;
  }

  @Query(() => DatasetVersion)
  @RequireRole('viewer')
  async datasetVersion(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    const v = await this.versions.getForTeam(p.team.id, id);
    return this.version(p, v.datasetId, v);
  }

  @Subscription(() => DatasetVersion, {
    description:
      'The dataset version now, then again each time its status changes (uploading, ingesting, ready, failed) (graphql-ws, same API key in connectionParams).',
    resolve: (v: DatasetVersion) => v,
  })
  @RequireRole('viewer')
  async datasetVersionUpdated(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    const v = await this.versions.getForTeam(p.team.id, id); // another team's: NOT_FOUND, and no events
    const events = await subscribeEvents<TrainyardEvent>(this.bus, topic('datasetVersion', id));
    const now = async () => this.version(p, v.datasetId, await this.versions.getForTeam(p.team.id, id));
    return mapEvents(events, now, now);
  }

  @Mutation(() => DatasetVersion, {
    description: 'Opens a new version of a dataset for uploads. format: idx, cifar10, cifar100, imagefolder or csv; options per format; split: {testFraction, validationFraction, seed}.',
  })
  @RequireRole('member')
  async createDatasetVersion(
    @CurrentPrincipal() p: Principal,
    @Args('datasetId', { type: () => ID }) datasetId: string,
    @Args('format') format: string,
    @Args('options', { type: () => GraphQLJSON, nullable: true }) options?: unknown,
    @Args('split', { type: () => GraphQLJSON, nullable: true }) split?: unknown,
  ) {
    await this.hidden.guardFile(p, datasetId, 'train', true);
    return toDatasetVersion(await this.service.createVersion(p.team.id, datasetId, format, options, split));
  }

  @Mutation(() => PresignedUpload, { description: 'S3 storage only: presigned multipart part URLs so a large file goes straight to the bucket; then completeSourceUpload.' })
  async createSourceUpload(
    @CurrentTeam() team: TeamPrincipal,
    @Args('versionId', { type: () => ID }) versionId: string,
    @Args('name') name: string,
    @Args('sizeBytes', { type: () => Float }) sizeBytes: number,
    @Args('partSizeBytes', { type: () => Float, nullable: true }) partSizeBytes?: number,
  ) {
    return this.service.beginPresignedUpload(team.id, versionId, name, sizeBytes, partSizeBytes ?? undefined);
  }

  @Mutation(() => DatasetVersion, { description: 'Assembles a presigned upload from its parts (ETags from the part PUTs) and checks the file.' })
  async completeSourceUpload(
    @CurrentTeam() team: TeamPrincipal,
    @Args('versionId', { type: () => ID }) versionId: string,
    @Args('name') name: string,
    @Args('parts', { type: () => [UploadedPartInput] }) parts: UploadedPartInput[],
  ) {
    return toDatasetVersion(await this.service.completePresignedUpload(team.id, versionId, name, parts));
  }

  @Mutation(() => DatasetVersion, { description: 'Closes the version for uploads and queues its ingest; poll status until READY or FAILED.' })
  @RequireRole('member')
  async ingestDatasetVersion(@CurrentPrincipal() p: Principal, @Args('id', { type: () => ID }) id: string) {
    await this.hidden.guardFile(p, (await this.versions.getForTeam(p.team.id, id)).datasetId, 'train', true);
    return toDatasetVersion(await this.service.ingest(p.team.id, id));
  }
}
