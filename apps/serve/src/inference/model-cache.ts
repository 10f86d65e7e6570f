import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import { InferenceRuntime, initBackend, loadOnnxRuntime, modelFromCheckpoint, tfjsRuntime } from '@trainyard/engine';
import { ServeMetrics } from '../serve-metrics';
import { DynamicBatcher } from './batcher';
import { ModelSignature, softmaxRows } from './signature';

/** What serving needs to load one version: its checkpoint (and an ONNX export when there is one). */
export interface VersionArtifact {
  model: string;
  version: number;
  checkpointId: string;
  storageKey: string;
  sizeBytes: number;
  onnxStorageKey?: string | null;
  signature: ModelSignature;
  maxBatchSize: number;
  maxBatchWaitMs: number;
}

export interface LoadedVersion {
  key: string;
  runtime: InferenceRuntime;
  batcher: DynamicBatcher;
  bytes: number;
  loadedAt: Date;
  /** Load plus warm-up, ms. */
  coldStartMs: number;
  lastUsed: number;
}

export type RuntimeLoader = (artifact: VersionArtifact, store: ArtifactStore) => Promise<InferenceRuntime>;
export const RUNTIME_LOADER = Symbol('RUNTIME_LOADER');

/**
 * ONNX Runtime (onnxruntime-node, one thread per session) where the checkpoint has a succeeded ONNX
 * export, else TensorFlow.js on the best backend that loads (never the pure-JS cpu one unless asked).
 * Both take the preprocessed NHWC batch and return logits (libs/engine/src/onnx).
 */
export const defaultRuntimeLoader = (config: AppConfig): RuntimeLoader => async (artifact, store) => {
  if (artifact.onnxStorageKey) return loadOnnxRuntime(await store.getBytes(artifact.onnxStorageKey));
  await initBackend(config.worker.backend === 'cpu' ? 'cpu' : 'auto');
  return tfjsRuntime(modelFromCheckpoint(await store.getBytes(artifact.storageKey)));
};

/**
 * Loaded model versions, by checkpoint and batching settings. A version loads on its first call
 * (or ahead of a switch, see DeploymentCache), is warmed with one batch before it takes traffic,
 * stays while used, and goes when idle past SERVE_MODEL_IDLE_MS or when the memory budget
 * (SERVE_MODEL_MEMORY_MB, estimated from checkpoint sizes) needs room, least recently used first.
 */
@Injectable()
export class ModelCache implements OnModuleDestroy {
  private readonly logger = new Logger('ModelCache');
  private readonly loaded = new Map<string, LoadedVersion>();
  private readonly loading = new Map<string, Promise<LoadedVersion>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
    @Inject(RUNTIME_LOADER) private readonly loadRuntime: RuntimeLoader,
    private readonly metrics: ServeMetrics,
  ) {
    this.sweeper = setInterval(() => this.sweepIdle(), Math.min(30_000, Math.max(250, config.serve.modelIdleMs / 4)));
    this.sweeper.unref();
  }

  static keyOf(a: VersionArtifact): string {
    return `${a.checkpointId}/${a.onnxStorageKey ? 'onnx' : 'tfjs'}/${a.maxBatchSize}/${a.maxBatchWaitMs}`;
  }

  peek(a: VersionArtifact): LoadedVersion | undefined {
    return this.loaded.get(ModelCache.keyOf(a));
  }

  /** The loaded version; `cold` is true when this call had to wait for the load. */
  async get(a: VersionArtifact): Promise<{ loaded: LoadedVersion; cold: boolean }> {
    const key = ModelCache.keyOf(a);
    const hit = this.loaded.get(key);
    if (hit) {
      hit.lastUsed = Date.now();
      // Map order is recency order: move to the end.
      this.loaded.delete(key);
      this.loaded.set(key, hit);
      return { loaded: hit, cold: false };
    }
    return { loaded: await this.load(a), cold: true };
  }

  /** Loads (once, however many callers) and warms a version. */
  load(a: VersionArtifact): Promise<LoadedVersion> {
    const key = ModelCache.keyOf(a);
    const done = this.loaded.get(key);
    if (done) return Promise.resolve(done);
    let p = this.loading.get(key);
    if (!p) {
      p = this.doLoad(key, a).finally(() => this.loading.delete(key));
      this.loading.set(key, p);
    }
    return p;
  }

  private async doLoad(key: string, a: VersionArtifact): Promise<LoadedVersion> {
    const started = performance.now();
    const runtime = await this.loadRuntime(a, this.store);
    const sig = a.signature;
    const labels = { model: a.model, version: String(a.version) };
    // Label children, resolved once: these run per batch and per call.
    const batchSize = this.metrics.batchSize.labels(labels);
    const queueDepth = this.metrics.queueDepth.labels(labels);
    const batcher = new DynamicBatcher(
      async (x, n) => softmaxRows(await runtime.run(x, [n, ...sig.modelShape]), sig.numClasses),
      { inSize: sig.modelSize, outSize: sig.numClasses, maxBatchSize: a.maxBatchSize, maxWaitMs: a.maxBatchWaitMs, maxQueue: this.config.serve.maxQueue },
      {
        onBatch: (n) => batchSize.observe(n),
        onQueueDepth: (d) => queueDepth.set(d),
      },
    );
    // Warm-up: the first run compiles kernels and allocates; do it before any caller waits on it.
    await runtime.run(new Float32Array(sig.modelSize), [1, ...sig.modelShape]);
    const coldStartMs = performance.now() - started;
    const loaded: LoadedVersion = { key, runtime, batcher, bytes: a.sizeBytes, loadedAt: new Date(), coldStartMs, lastUsed: Date.now() };
    this.loaded.set(key, loaded);
    this.metrics.coldStarts.inc({ ...labels, runtime: runtime.kind });
    this.metrics.coldStartSeconds.observe({ ...labels, runtime: runtime.kind }, coldStartMs / 1000);
    this.logger.log(`loaded ${a.model} v${a.version} (${runtime.kind}) in ${coldStartMs.toFixed(0)} ms`);
    this.evictOverBudget(key);
    this.updateGauges();
    return loaded;
  }

  private evictOverBudget(keep: string) {
    let total = [...this.loaded.values()].reduce((s, l) => s + l.bytes, 0);
    for (const [key, l] of this.loaded) {
      if (total <= this.config.serve.modelMemoryBytes) break;
      if (key === keep) continue;
      total -= l.bytes;
      this.unload(key, 'memory budget');
    }
  }

  private sweepIdle() {
    const cutoff = Date.now() - this.config.serve.modelIdleMs;
    for (const [key, l] of this.loaded) if (l.lastUsed < cutoff && l.batcher.depth === 0) this.unload(key, 'idle');
  }

  private unload(key: string, why: string) {
    const l = this.loaded.get(key);
    if (!l) return;
    this.loaded.delete(key);
    this.logger.log(`unloading ${key} (${why})`);
    void l.batcher.close().then(() => l.runtime.dispose()).catch(() => undefined);
    this.updateGauges();
  }

  private updateGauges() {
    this.metrics.loadedModels.set(this.loaded.size);
    this.metrics.loadedBytes.set([...this.loaded.values()].reduce((s, l) => s + l.bytes, 0));
  }

  get size(): number {
    return this.loaded.size;
  }

  async onModuleDestroy() {
    clearInterval(this.sweeper);
    for (const key of [...this.loaded.keys()]) this.unload(key, 'shutdown');
  }
}
