import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Test } from '@nestjs/testing';
import { startS3rver } from '../../../test/support/s3rver';
import { ARTIFACT_STORE, ArtifactStore } from './artifact-store';
import { LocalArtifactStore } from './local.artifact-store';
import { S3ArtifactStore } from './s3.artifact-store';
import { StorageModule } from './storage.module';

describe('StorageModule.forRoot', () => {
  it('provides a ready local store for { kind: local }', async () => {
    const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-mod-')), 'artifacts');
    const mod = await Test.createTestingModule({ imports: [StorageModule.forRoot({ kind: 'local', root })] }).compile();
    const store = mod.get<ArtifactStore>(ARTIFACT_STORE);
    expect(store).toBeInstanceOf(LocalArtifactStore);
    expect(fs.existsSync(root)).toBe(true);
    await mod.close();
    fs.rmSync(path.dirname(root), { recursive: true, force: true });
  });

  it('provides an S3 store for { kind: s3 }, creating the bucket when configured to', async () => {
    const s3 = await startS3rver();
    try {
      const mod = await Test.createTestingModule({
        imports: [
          StorageModule.forRoot({
            kind: 's3',
            bucket: 'fresh-bucket',
            region: s3.region,
            endpoint: s3.endpoint,
            forcePathStyle: true,
            accessKeyId: s3.accessKeyId,
            secretAccessKey: s3.secretAccessKey,
            createBucket: true,
          }),
        ],
      }).compile();
      const store = mod.get<ArtifactStore>(ARTIFACT_STORE);
      expect(store).toBeInstanceOf(S3ArtifactStore);
      await store.put('k', new Uint8Array([1]));
      expect(await store.exists('k')).toBe(true);
      await mod.close();
    } finally {
      await s3.stop();
    }
  });
});
