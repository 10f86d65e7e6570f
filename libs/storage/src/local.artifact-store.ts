import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { notFound } from '@trainyard/common';
import { ArtifactInfo, ArtifactStore, assertValidKey, PutOptions } from './artifact-store';

/** Folder (inside the root, so renames stay on one filesystem) where puts are written before the rename. */
const TMP_DIR = '.tmp';

const isNotFound = (e: unknown) => (e as NodeJS.ErrnoException)?.code === 'ENOENT' || (e as NodeJS.ErrnoException)?.code === 'ENOTDIR';

/**
 * Artifacts as files under a root folder, key = relative path. A put writes a temp file under
 * <root>/.tmp, flushes it and renames it into place, so readers never see a half-written file and a
 * failed body leaves nothing. Content types are not kept.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
  }

  describe() {
    return `local folder ${this.root}`;
  }

  async init(): Promise<void> {
    await fsp.mkdir(path.join(this.root, TMP_DIR), { recursive: true });
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    if (key === TMP_DIR || key.startsWith(`${TMP_DIR}/`)) throw new Error(`invalid artifact key ${JSON.stringify(key)}: ${TMP_DIR}/ is reserved`);
    const p = path.resolve(this.root, ...key.split('/'));
    if (!p.startsWith(this.root + path.sep)) throw new Error(`invalid artifact key ${JSON.stringify(key)}: outside the store`);
    return p;
  }

  async put(key: string, body: Readable | Uint8Array, _opts?: PutOptions): Promise<{ sizeBytes: number }> {
    const dest = this.pathOf(key);
    await fsp.mkdir(path.dirname(dest), { recursive: true });
    await fsp.mkdir(path.join(this.root, TMP_DIR), { recursive: true });
    const tmp = path.join(this.root, TMP_DIR, `${path.basename(dest)}.${process.pid}.${randomBytes(6).toString('hex')}`);
    let sizeBytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _e, cb) {
        sizeBytes += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      const source = body instanceof Uint8Array ? Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]) : body;
      await pipeline(source, count, fs.createWriteStream(tmp, { flush: true }));
      await fsp.rename(tmp, dest);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    return { sizeBytes };
  }

  async get(key: string): Promise<Readable> {
    const p = this.pathOf(key);
    try {
      // Open now, so a missing key fails here rather than as a stream error later.
      const fh = await fsp.open(p, 'r');
      return fh.createReadStream();
    } catch (e) {
      if (isNotFound(e) || (e as NodeJS.ErrnoException).code === 'EISDIR') throw notFound('artifact', key);
      throw e;
    }
  }

  async getBytes(key: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await fsp.readFile(this.pathOf(key)));
    } catch (e) {
      if (isNotFound(e) || (e as NodeJS.ErrnoException).code === 'EISDIR') throw notFound('artifact', key);
      throw e;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await fsp.stat(this.pathOf(key))).isFile();
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    const p = this.pathOf(key);
    try {
      await fsp.unlink(p);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    // Tidy now-empty folders up to the root; another writer may race us, so failures are fine.
    for (let dir = path.dirname(p); dir.startsWith(this.root + path.sep); dir = path.dirname(dir)) {
      try {
        await fsp.rmdir(dir);
      } catch {
        break;
      }
    }
  }

  async list(prefix: string): Promise<ArtifactInfo[]> {
    if (prefix.startsWith('/') || prefix.split('/').some((s) => s === '..')) throw new Error(`invalid prefix ${JSON.stringify(prefix)}`);
    // Walk only the deepest folder the prefix names, then filter by the full string prefix.
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const out: ArtifactInfo[] = [];
    const walk = async (rel: string) => {
      let entries: fs.Dirent[];
      try {
        entries = await fsp.readdir(path.join(this.root, ...rel.split('/').filter(Boolean)), { withFileTypes: true });
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      for (const ent of entries) {
        const key = rel ? `${rel}/${ent.name}` : ent.name;
        if (!rel && ent.name === TMP_DIR) continue;
        if (ent.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
        } else if (ent.isFile() && key.startsWith(prefix)) {
          const st = await fsp.stat(path.join(this.root, ...key.split('/'))).catch(() => undefined);
          if (st) out.push({ key, sizeBytes: st.size });
        }
      }
    };
    await walk(dirPart);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
