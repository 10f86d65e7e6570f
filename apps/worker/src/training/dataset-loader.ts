import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { badInput } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { DatasetIndex, ImageSplit, INDEX_FILE, ShardedSplit, SplitName } from '@trainyard/data';
import { DatasetVersionRepository } from '@trainyard/db';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { ShardCache } from './shard-cache';

/** How often every worker sweeps its shard cache for deleted versions (and trims it to its limit). */
const CACHE_SWEEP_MS = 60_000;

export interface LoadedDataset {
  train: ImageSplit | ShardedSplit;
  /** What the run evaluates on: the test split (else validation, else train). */
  test: ImageSplit | ShardedSplit;
  /** Evaluated after every epoch (validation metrics, EarlyStopping, keep-best), when the version has one besides its test split. */
  validation?: ShardedSplit;
  /** Class names in label order, when the dataset names its classes. */
  classNames?: string[];
  /** Ends the run's lease on the cached shards (the cache may then evict them); call when done. */
  release(): Promise<void>;
}

/**
 * How the worker gets a dataset to the training thread. A versioned dataset stays in the internal
 * form: its shards are copied, streamed, from the store into a local cache folder once per version
 * (a READY version never changes, so the cache never goes stale) and the thread streams them from
 * disk with bounded memory. The cache is bounded (ShardCache: DATASET_CACHE_MAX_BYTES, LRU over
 * versions no run is using, deleted versions removed).
 */
@Injectable()
export class DatasetLoader implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('DatasetLoader');
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly cache: ShardCache;
  private stopSweeping?: () => void;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    private readonly versions: DatasetVersionRepository,
  ) {
    this.cache = new ShardCache({
      root: this.config.datasets.cacheDir,
      maxBytes: this.config.datasets.cacheMaxBytes,
      exists: async (id) => !!(await this.versions.getById(id).catch((e: { code?: string }) => (e.code === 'P2023' ? null : Promise.reject(e)))),
      log: (m) => this.logger.log(m),
    });
  }

  onModuleInit() {
    this.stopSweeping = this.cache.sweepEvery(CACHE_SWEEP_MS);
  }

  onModuleDestroy() {
    this.stopSweeping?.();
  }

  async load(experiment: { datasetId: string; datasetVersionId: string | null }): Promise<LoadedDataset> {
    if (!experiment.datasetVersionId) throw new Error(`no dataset version recorded for this run (dataset ${experiment.datasetId})`);
    const v = await this.versions.getById(experiment.datasetVersionId);
    if (!v || v.status !== 'READY' || !v.index || !v.storagePrefix) throw new Error(`dataset version ${experiment.datasetVersionId} is not READY`);
    const index = v.index as unknown as DatasetIndex;
    const prefix = v.storagePrefix;
    const { dir, release } = await this.cache.acquire(v.id, (d) => this.ensureCached(d, prefix, index));
    const split = (name: SplitName): ShardedSplit => ({ kind: 'sharded', index, split: name, dir });
    const evalSplit: SplitName = index.splits.test?.count ? 'test' : index.splits.validation?.count ? 'validation' : 'train';
    const validation = evalSplit !== 'validation' && index.splits.validation?.count ? split('validation') : undefined;
    return { train: split('train'), test: split(evalSplit), ...(validation ? { validation } : {}), ...(index.classNames?.length ? { classNames: index.classNames } : {}), release };
  }

  /** One split of a READY dataset version, cached and leased like `load` (batch prediction); call release when done. */
  async loadSplit(datasetVersionId: string, name: SplitName): Promise<{ split: ShardedSplit; index: DatasetIndex; release(): Promise<void> }> {
    const v = await this.versions.getById(datasetVersionId);
    if (!v || v.status !== 'READY' || !v.index || !v.storagePrefix) throw new Error(`dataset version ${datasetVersionId} is not READY`);
    const index = v.index as unknown as DatasetIndex;
    if (!index.splits[name]?.count) throw badInput(`dataset version ${v.version} has no ${name} split`);
    const prefix = v.storagePrefix;
    const { dir, release } = await this.cache.acquire(v.id, (d) => this.ensureCached(d, prefix, index));
    return { split: { kind: 'sharded', index, split: name, dir }, index, release };
  }

  /** Copies the version's files into `dir` (each streamed to a temp name, then renamed): idempotent. */
  private ensureCached(dir: string, prefix: string, index: DatasetIndex): Promise<void> {
    let p = this.inFlight.get(dir);
    if (!p) {
      p = this.copy(dir, prefix, index).finally(() => this.inFlight.delete(dir));
      this.inFlight.set(dir, p);
    }
    return p;
  }

  private async copy(dir: string, prefix: string, index: DatasetIndex) {
    const names = [INDEX_FILE, ...Object.values(index.splits).flatMap((s) => s!.shards.map((r) => r.name))];
    const sizes = new Map(Object.values(index.splits).flatMap((s) => s!.shards.map((r) => [r.name, r.sizeBytes] as const)));
    let copied = 0;
    for (const name of names) {
      const target = path.join(dir, name);
      const have = await stat(target).catch(() => undefined);
      if (have && (name === INDEX_FILE || have.size === sizes.get(name))) continue;
      await mkdir(path.dirname(target), { recursive: true });
      const tmp = `${target}.${process.pid}.part`;
      try {
        await pipeline(await this.store.get(`${prefix}${name}`), createWriteStream(tmp));
        await rename(tmp, target);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      copied++;
    }
    if (copied) this.logger.log(`cached ${copied} of ${names.length} files of ${prefix} in ${dir}`);
  }
}
