import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@trainyard/config';
import { initBackend, modelFromCheckpoint } from '@trainyard/engine';
import { ARTIFACT_STORE, ArtifactStore } from '@trainyard/storage';
import type * as tf from '@tensorflow/tfjs';

const CAPACITY = 16;

/**
 * Loaded models by checkpoint id, least recently used evicted first. A checkpoint's bytes never
 * change, so a cached model is never stale; redeploying a name simply points at another id.
 */
@Injectable()
export class ModelCache implements OnModuleDestroy {
  private readonly logger = new Logger('ModelCache');
  private readonly models = new Map<string, Promise<tf.LayersModel>>();
  private backend?: Promise<{ name: string }>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ARTIFACT_STORE) private readonly store: ArtifactStore,
  ) {}

  async get(checkpointId: string, storageKey: string): Promise<tf.LayersModel> {
    let model = this.models.get(checkpointId);
    if (model) {
      this.models.delete(checkpointId); // re-insert: most recently used last
    } else {
      model = this.load(storageKey);
      model.catch(() => this.models.delete(checkpointId));
    }
    this.models.set(checkpointId, model);
    while (this.models.size > CAPACITY) {
      const [oldest, evicted] = this.models.entries().next().value!;
      this.models.delete(oldest);
      evicted.then((m) => m.dispose()).catch(() => undefined);
    }
    return model;
  }

  private async load(storageKey: string): Promise<tf.LayersModel> {
    // Serving never trains: the cpu backend is only a fallback when nothing faster loads.
    this.backend ??= initBackend(this.config.worker.backend === 'cpu' ? 'cpu' : 'auto').then((b) => {
      this.logger.log(`serving on the ${b.name} backend`);
      return b;
    });
    await this.backend;
    const started = Date.now();
    const model = modelFromCheckpoint(await this.store.getBytes(storageKey));
    this.logger.log(`loaded ${storageKey} in ${Date.now() - started} ms`);
    return model;
  }

  async onModuleDestroy() {
    for (const m of this.models.values()) await m.then((x) => x.dispose()).catch(() => undefined);
    this.models.clear();
  }
}
