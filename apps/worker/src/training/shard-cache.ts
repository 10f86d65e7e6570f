import { mkdir, readdir, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import * as path from 'node:path';

/** A version's folder held for one run: its path, and the release to call when the run is over. */
export interface ShardLease {
  dir: string;
  release(): Promise<void>;
}

export interface ShardCacheOptions {
  /** The cache's root: one folder per dataset version id. */
  root: string;
  /** Bytes the cache may hold; past it, least recently used versions not in use are removed. */
  maxBytes: number;
  /** Whether a version still exists (a deleted version's folder is removed when nothing uses it). */
  exists(versionId: string): Promise<boolean>;
  log?(message: string): void;
}

const LAST_USED = '.last-used';
const LEASE = /^\.lease-(\d+)-\d+$/;

/** Whether a process id is alive on this machine (a lease of a dead process is stale). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(p);
    else if (e.isFile()) total += (await stat(p).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

/**
 * The worker's local copy of dataset versions' shards, bounded in size. A run takes a lease on its
 * version's folder (a `.lease-<pid>-<n>` file, so other worker processes sharing the folder see it
 * too, and a crashed process's lease is recognised as stale); each acquire and release touches
 * `.last-used`. After each fill and on a timer (sweepEvery), folders of versions that no longer exist are removed, then, while
 * the cache is over `maxBytes`, the least recently used folders without a live lease. A folder in
 * use is never removed, so one version larger than the limit still trains (and is logged).
 */
export class ShardCache {
  private leases = 0;

  constructor(private readonly opts: ShardCacheOptions) {}

  /** Leases `versionId`'s folder, filling it with `fill` (idempotent: it skips files already there). */
  async acquire(versionId: string, fill: (dir: string) => Promise<void>): Promise<ShardLease> {
    const dir = path.join(this.opts.root, versionId);
    await mkdir(dir, { recursive: true });
    const lease = path.join(dir, `.lease-${process.pid}-${++this.leases}`);
    await writeFile(lease, '');
    await this.touch(dir);
    try {
      await fill(dir);
      await this.trim(versionId);
    } catch (e) {
      await unlink(lease).catch(() => undefined);
      throw e;
    }
    let released = false;
    return {
      dir,
      release: async () => {
        if (released) return;
        released = true;
        await unlink(lease).catch(() => undefined);
        await this.touch(dir).catch(() => undefined);
      },
    };
  }

  /**
   * Trims every `ms` (unref'd; the returned function stops it), so a deleted version's folder goes
   * from every worker's cache within one interval, not at that worker's next load. A failed trim
   * (the database away) is logged and tried again next time.
   */
  sweepEvery(ms: number): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.trim()
        .catch((e: Error) => this.opts.log?.(`shard cache sweep failed (tried again in ${ms} ms): ${e.message}`))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Removes deleted versions' folders, then LRU folders not in use while over the limit. */
  async trim(justUsed?: string): Promise<{ removed: string[]; bytes: number }> {
    const entries = await readdir(this.opts.root, { withFileTypes: true }).catch(() => []);
    const folders: Array<{ id: string; dir: string; bytes: number; lastUsed: number; inUse: boolean }> = [];
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const dir = path.join(this.opts.root, e.name);
      folders.push({ id: e.name, dir, bytes: await folderBytes(dir), lastUsed: await this.lastUsed(dir), inUse: await this.inUse(dir) });
    }
    const removed: string[] = [];
    const remove = async (f: (typeof folders)[number], why: string) => {
      await rm(f.dir, { recursive: true, force: true });
      removed.push(f.id);
      this.opts.log?.(`removed ${f.id} from the shard cache (${Math.round(f.bytes / 2 ** 20)} MiB): ${why}`);
    };
    for (const f of folders) {
      if (!f.inUse && f.id !== justUsed && !(await this.opts.exists(f.id).catch(() => true))) await remove(f, 'the dataset version was deleted');
    }
    const kept = folders.filter((f) => !removed.includes(f.id));
    let total = kept.reduce((s, f) => s + f.bytes, 0);
    for (const f of kept.filter((k) => !k.inUse && k.id !== justUsed).sort((a, b) => a.lastUsed - b.lastUsed)) {
      if (total <= this.opts.maxBytes) break;
      await remove(f, `the cache held ${Math.round(total / 2 ** 20)} MiB, over its ${Math.round(this.opts.maxBytes / 2 ** 20)} MiB limit (least recently used)`);
      total -= f.bytes;
    }
    if (total > this.opts.maxBytes) this.opts.log?.(`the shard cache holds ${Math.round(total / 2 ** 20)} MiB, over its limit, but every remaining version is in use`);
    return { removed, bytes: total };
  }

  private async touch(dir: string) {
    const f = path.join(dir, LAST_USED);
    const now = new Date();
    await utimes(f, now, now).catch(() => writeFile(f, ''));
  }

  private async lastUsed(dir: string): Promise<number> {
    return (await stat(path.join(dir, LAST_USED)).catch(() => stat(dir)).catch(() => undefined))?.mtimeMs ?? 0;
  }

  /** A live lease in the folder (stale ones, of dead processes, are deleted on the way). */
  private async inUse(dir: string): Promise<boolean> {
    let live = false;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const m = LEASE.exec(name);
      if (!m) continue;
      if (alive(Number(m[1]))) live = true;
      else await unlink(path.join(dir, name)).catch(() => undefined);
    }
    return live;
  }
}
