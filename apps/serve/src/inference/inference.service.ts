import { Inject, Injectable } from '@nestjs/common';
import { principalOf, type TeamPrincipal, VisibilityService } from '@trainyard/auth';
import { badInput, ErrorCode, notFound, TrainyardError } from '@trainyard/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { DeploymentRepository } from '@trainyard/db';
import { assertModelAllowed } from '../access/predict-key.guard';
import type { RuntimeKind } from '@trainyard/engine';
import { DeploymentCache, ModelRef, ResolvedModel, ServedVersion } from './deployment-cache';
import { decodeImage } from './images';
import { ModelCache } from './model-cache';
import { ModelSignature } from './signature';

/** One sample as a protocol adapter hands it over: raw values in the signature's shape, or an encoded image. */
export type SampleInput = { kind: 'values'; values: Float32Array; where: string } | { kind: 'image'; bytes: Buffer; where: string };

export interface InferResult {
  model: string;
  version: number;
  signature: ModelSignature;
  /** Softmax probabilities, row-major [samples, numClasses]. */
  probabilities: Float32Array;
  /** True when this call waited for the version to load. */
  cold: boolean;
  coldStartMs: number;
  runtime: RuntimeKind;
}

export interface VersionStatus {
  version: ServedVersion;
  loaded: boolean;
  runtime?: RuntimeKind;
  coldStartMs?: number;
  loadedAt?: Date;
  maxBatchSeen?: number;
}

/**
 * Serving, whatever the protocol: resolve the model and version (cached), check the samples
 * against the version's signature, preprocess them with the experiment's compiled map ops, queue
 * them on the version's dynamic batcher (bounded queue, time limit) and return probabilities.
 * TF Serving REST and KServe v2 are thin adapters over this.
 */
@Injectable()
export class InferenceService {
  constructor(
    private readonly deployments: DeploymentCache,
    private readonly models: ModelCache,
    private readonly repo: DeploymentRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly visibility: VisibilityService,
  ) {}

  /**
   * In a course, a student's key calls only models whose every version serves the student's own (or
   * their group's) work; a classmate's model is NOT_FOUND, as in the API. Other callers: undefined.
   */
  private async ownersFor(team: TeamPrincipal): Promise<string[] | undefined> {
    if (team.kind !== 'COURSE' || !team.userId || !team.role) return undefined;
    const p = principalOf(team);
    return this.visibility.restricted(p) ? this.visibility.ownerIds(p) : undefined;
  }

  private static owned(model: ResolvedModel, owners: string[] | undefined): boolean {
    return !owners || [...model.versions.values()].every((v) => !!v.ownerUserId && owners.includes(v.ownerUserId));
  }

  async resolve(team: TeamPrincipal, ref: ModelRef): Promise<{ model: ResolvedModel; version: ServedVersion }> {
    assertModelAllowed(team, ref.name);
    const model = await this.deployments.get(team.id, ref.name);
    if (!InferenceService.owned(model, await this.ownersFor(team))) throw notFound('model', ref.name);
    return { model, version: this.deployments.select(model, ref) };
  }

  /** Every model of the team (that this key may call). */
  async listModels(team: TeamPrincipal): Promise<ResolvedModel[]> {
    const names = (await this.repo.listModels(team.id)).map((m) => m.name);
    const allowed = team.key?.models ?? [];
    const visible = allowed.length > 0 ? names.filter((n) => allowed.includes(n)) : names;
    const models = await Promise.all(visible.map((n) => this.deployments.get(team.id, n)));
    const owners = await this.ownersFor(team);
    return models.filter((m) => InferenceService.owned(m, owners));
  }

  status(version: ServedVersion): VersionStatus {
    const l = this.models.peek(version);
    return l
      ? { version, loaded: true, runtime: l.runtime.kind, coldStartMs: l.coldStartMs, loadedAt: l.loadedAt, maxBatchSeen: l.batcher.maxBatchSeen }
      : { version, loaded: false };
  }

  async infer(team: TeamPrincipal, ref: ModelRef, samples: SampleInput[]): Promise<InferResult> {
    const { version } = await this.resolve(team, ref);
    return this.inferOn(version, samples);
  }

  async inferOn(version: ServedVersion, samples: SampleInput[]): Promise<InferResult> {
    const sig = version.signature;
    const n = samples.length;
    if (n === 0) throw badInput('no instances: send at least one');
    if (n > this.config.serve.maxInstances) throw badInput(`at most ${this.config.serve.maxInstances} instances per request, got ${n}`);
    const raw = await Promise.all(
      samples.map(async (s) => {
        if (s.kind === 'image') return decodeImage(s.bytes, sig.rawShape, this.config.serve.maxPixels, s.where);
        if (s.values.length !== sig.rawSize) {
          throw badInput(`${s.where} has ${s.values.length} values; model "${version.model}" takes images of shape [${sig.rawShape.join(', ')}] (${sig.rawSize} values)`);
        }
        return s.values;
      }),
    );
    const x = new Float32Array(n * sig.modelSize);
    for (let i = 0; i < n; i++) sig.program.run(raw[i], 0, x, i * sig.modelSize);
    const { loaded, cold } = await this.models.get(version);
    const job = loaded.batcher.submit(x, n);
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.config.serve.requestTimeoutMs;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        job.cancel();
        reject(new TrainyardError(ErrorCode.TIMEOUT, `the prediction did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const probabilities = await Promise.race([job.result, timeout]);
      return { model: version.model, version: version.version, signature: sig, probabilities, cold, coldStartMs: loaded.coldStartMs, runtime: loaded.runtime.kind };
    } finally {
      clearTimeout(timer);
    }
  }
}
