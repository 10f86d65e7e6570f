import { DynamicModule, Inject, Injectable, Module, OnModuleDestroy } from '@nestjs/common';
import { ARTIFACT_STORE, ArtifactStore } from './artifact-store';
import { LocalArtifactStore } from './local.artifact-store';
import { S3ArtifactStore, S3StoreConfig } from './s3.artifact-store';

/** What the config lib produces: S3 when a bucket is configured, else a local folder. */
export type StorageConfig = ({ kind: 's3' } & S3StoreConfig) | { kind: 'local'; root: string };

export function createArtifactStore(config: StorageConfig): ArtifactStore {
  return config.kind === 's3' ? new S3ArtifactStore(config) : new LocalArtifactStore(config.root);
}

@Injectable()
class StoreCloser implements OnModuleDestroy {
  constructor(@Inject(ARTIFACT_STORE) private readonly store: ArtifactStore) {}
  onModuleDestroy() {
    if (this.store instanceof S3ArtifactStore) this.store.close();
  }
}

@Module({})
export class StorageModule {
  /** Provides the ArtifactStore under ARTIFACT_STORE, initialised (bucket or folder ready) before use. */
  static forRoot(config: StorageConfig): DynamicModule {
    return {
      module: StorageModule,
      global: true,
      providers: [
        {
          provide: ARTIFACT_STORE,
          useFactory: async () => {
            const store = createArtifactStore(config);
            await store.init();
            return store;
          },
        },
        StoreCloser,
      ],
      exports: [ARTIFACT_STORE],
    };
  }
}
