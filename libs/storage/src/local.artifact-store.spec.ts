import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { LocalArtifactStore } from './local.artifact-store';
import { artifactStoreContract, byteStream } from './testing/artifact-store.contract';

const tmpRoot = () => fs.mkdtempSync(path.join(os.tmpdir(), 'trainyard-artifacts-'));

artifactStoreContract('LocalArtifactStore', async () => {
  const root = tmpRoot();
  return { store: new LocalArtifactStore(root), teardown: async () => fs.rmSync(root, { recursive: true, force: true }) };
});

describe('LocalArtifactStore specifics', () => {
  let root: string;
  let store: LocalArtifactStore;
  beforeEach(async () => {
    root = tmpRoot();
    store = new LocalArtifactStore(root);
    await store.init();
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('a reader never sees a half-written file: the key appears only when the put completes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const body = Readable.from(
      (async function* () {
        yield Buffer.alloc(1000, 1);
        await gate;
        yield Buffer.alloc(1000, 2);
      })(),
    );
    const put = store.put('a/b/file.bin', body);
    await new Promise((r) => setTimeout(r, 50));
    expect(await store.exists('a/b/file.bin')).toBe(false);
    expect(await store.list('a/')).toEqual([]);
    release();
    await put;
    expect((await store.getBytes('a/b/file.bin')).length).toBe(2000);
  });

  it('leaves no temp files after a failed put, and keeps them out of list()', async () => {
    await expect(store.put('x/y', byteStream(1 << 20, { failAfter: 1 << 16 }))).rejects.toThrow();
    expect(fs.readdirSync(path.join(root, '.tmp'))).toEqual([]);
    expect(await store.list('')).toEqual([]);
    await expect(store.put('.tmp/evil', new Uint8Array(1))).rejects.toThrow(/reserved/);
  });

  it('stores keys as files under the root and removes emptied folders on delete', async () => {
    await store.put('teams/t/x.bin', new Uint8Array([7]));
    expect(fs.readFileSync(path.join(root, 'teams', 't', 'x.bin'))).toEqual(Buffer.from([7]));
    await store.delete('teams/t/x.bin');
    expect(fs.existsSync(path.join(root, 'teams'))).toBe(false);
  });
});
