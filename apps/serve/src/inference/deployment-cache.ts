import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { CheckpointRepository, DeploymentRepository } from '@trainyard/db';
import { ModelCache, VersionArtifact } from './model-cache';
import { ModelSignature, signatureFromSpec } from './signature';
import { TtlCache } from './ttl-cache';

export interface ServedVersion extends VersionArtifact {
  createdAt: Date;
  deployedBy: string | null;
  experimentId: string;
  /** Who ran the experiment (course visibility: a student calls only their own or their group's models). */
  ownerUserId: string | null;
}

export interface ResolvedModel {
  teamId: string;
  name: string;
  defaultVersion: number | null;
  labels: Record<string, number>;
  split: { version: number; percent: number } | null;
  versions: Map<number, ServedVersion>;
}

export interface ModelRef {
  name: string;
  version?: number;
  label?: string;
}

/**
 * Deployments as serving sees them, read from the database at most once per SERVE_CACHE_TTL_MS per
 * model and process (stale entries keep answering while one refresh runs), so a predict call costs
 * no database round trip and a new default reaches every serve process within about a second.
 * When a refresh finds a new default (or split version) for a model that is hot here, it loads and
 * warms that version before the new mapping is published: traffic switches to a warm model.
 */
@Injectable()
export class DeploymentCache {
  private readonly cache: TtlCache<string, ResolvedModel>;
  private readonly signatures = new Map<string, ModelSignature>();

  constructor(
    private readonly repo: DeploymentRepository,
    private readonly checkpoints: CheckpointRepository,
    private readonly models: ModelCache,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const ttl = config.serve.cacheTtlMs;
    this.cache = new TtlCache((key) => this.fetch(key), ttl, Math.max(30_000, 2 * ttl), (next, prev) => this.warmSwitch(next, prev));
  }

  get(teamId: string, name: string): Promise<ResolvedModel> {
    return this.cache.get(`${teamId}/${name}`);
  }

  invalidate(teamId: string, name: string): void {
    this.cache.invalidate(`${teamId}/${name}`);
  }

  /** The version a call gets: an explicit version, a label, or the default (or, by the split, the other one). */
  select(model: ResolvedModel, ref: ModelRef, random: () => number = Math.random): ServedVersion {
    let v: number | null | undefined;
    if (ref.version !== undefined) {
      v = ref.version;
      if (!model.versions.has(v)) throw notFound(`model ${model.name} version`, String(v));
    } else if (ref.label !== undefined) {
      v = Object.prototype.hasOwnProperty.call(model.labels, ref.label) ? model.labels[ref.label] : undefined;
      if (v === undefined || !model.versions.has(v)) throw notFound(`model ${model.name} label`, ref.label.slice(0, 64));
    } else {
      v = model.defaultVersion;
      if (model.split && model.versions.has(model.split.version) && random() * 100 < model.split.percent) v = model.split.version;
      if (v === null || !model.versions.has(v)) throw notFound('model', model.name);
    }
    return model.versions.get(v)!;
  }

  private async fetch(key: string): Promise<ResolvedModel> {
    const at = key.indexOf('/');
    const teamId = key.slice(0, at);
    const name = key.slice(at + 1);
    const row = await this.repo.findModel(teamId, name);
    if (!row) throw notFound('model', name);
    const versions = new Map<number, ServedVersion>();
    // Signatures are built once per checkpoint; class names come from the spec when it names them,
    // else from the dataset version's index (names recorded at ingest), else "0", "1", ...
    const missing = row.versions.filter((d) => !this.signatures.has(d.checkpointId)).map((d) => d.checkpointId);
    const names = await this.checkpoints.classNames(missing);
    for (const d of row.versions) {
      let signature = this.signatures.get(d.checkpointId);
      if (!signature) {
        signature = signatureFromSpec(d.checkpoint.experiment.spec, names.get(d.checkpointId));
        this.signatures.set(d.checkpointId, signature);
      }
      versions.set(d.version, {
        model: name,
        version: d.version,
        checkpointId: d.checkpointId,
        storageKey: d.checkpoint.storageKey,
        sizeBytes: d.checkpoint.sizeBytes,
        onnxStorageKey: d.checkpoint.exports[0]?.storageKey ?? null,
        signature,
        maxBatchSize: d.maxBatchSize,
        maxBatchWaitMs: d.maxBatchWaitMs,
        createdAt: d.createdAt,
        deployedBy: d.deployedBy,
        experimentId: d.checkpoint.experiment.id,
        ownerUserId: d.checkpoint.experiment.userId ?? null,
      });
    }
    return {
      teamId,
      name,
      defaultVersion: row.defaultVersion,
      labels: (row.labels ?? {}) as Record<string, number>,
      split: row.splitVersion !== null && row.splitPercent > 0 ? { version: row.splitVersion, percent: row.splitPercent } : null,
      versions,
    };
  }

  /**
   * Before a new mapping replaces one whose default is loaded here: load and warm what it routes to
   * (awaited: traffic moves only to a warm version), and start loading versions that were not
   * deployed before (in the background: a canary or a future default is warm before anyone switches).
   */
  private async warmSwitch(next: ResolvedModel, prev: ResolvedModel | undefined): Promise<void> {
    if (!prev || prev.defaultVersion === null) return;
    const prevDefault = prev.versions.get(prev.defaultVersion);
    if (!prevDefault || !this.models.peek(prevDefault)) return;
    for (const [v, a] of next.versions) if (!prev.versions.has(v)) void this.models.load(a).catch(() => undefined);
    const targets = [next.defaultVersion, next.split?.version].filter((v): v is number => v !== null && v !== undefined);
    await Promise.all(targets.map((v) => next.versions.get(v)).filter((a): a is ServedVersion => !!a).map((a) => this.models.load(a)));
  }
}
