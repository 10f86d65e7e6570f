import { startS3rver } from '../../../test/support/s3rver';
import { S3ArtifactStore } from './s3.artifact-store';
import { artifactStoreContract } from './testing/artifact-store.contract';

artifactStoreContract('S3ArtifactStore on s3rver', async () => {
  const s3 = await startS3rver();
  const store = new S3ArtifactStore({
    bucket: s3.bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: 'any secret works',
    partSize: 5 * 1024 * 1024,
  });
  return {
    store,
    teardown: async () => {
      store.close();
      await s3.stop();
    },
  };
});

describe('S3ArtifactStore.init', () => {
  it('creates a missing bucket only when asked to', async () => {
    const s3 = await startS3rver();
    const base = { region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
    const without = new S3ArtifactStore({ ...base, bucket: 'not-there' });
    const withCreate = new S3ArtifactStore({ ...base, bucket: 'made-on-init', createBucket: true });
    try {
      await expect(without.init()).rejects.toThrow(/S3 bucket not-there does not exist/);
      await withCreate.init();
      await withCreate.put('k', new Uint8Array([1]));
      expect(await withCreate.exists('k')).toBe(true);
      expect(withCreate.describe()).toBe(`s3://made-on-init at ${s3.endpoint}`);
    } finally {
      without.close();
      withCreate.close();
      await s3.stop();
    }
  });
});
