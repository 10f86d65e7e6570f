import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import * as yauzl from 'yauzl';
import { fileError, IngestLimits, SourceFile } from './format';

/** One regular file inside an archive; `stream` must be read (or drained) before the next entry. */
export interface ArchiveEntry {
  /** Normalised '/'-separated path inside the archive. */
  name: string;
  size: number;
  stream: Readable;
  /** A directory entry (stream is empty); class folders are seen this way even when empty. */
  dir?: boolean;
}

export type ArchiveKind = 'zip' | 'tar' | 'tar.gz';

/** Reads the first bytes to tell zip, gzip (tar.gz) and tar apart. */
export async function sniffArchive(file: SourceFile): Promise<ArchiveKind> {
  const s = await file.open();
  let head = Buffer.alloc(0);
  for await (const chunk of s) {
    head = Buffer.concat([head, chunk as Buffer]);
    if (head.length >= 512) break;
  }
  s.destroy();
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip';
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  throw fileError(file.name, 'not-an-archive', 'not a .zip, .tar or .tar.gz archive');
}

/**
 * The archive's member path, checked: no absolute paths, no '..' segments, no backslash tricks.
 * Directory prefixes such as './' are dropped.
 */
export function safeEntryName(archive: string, raw: string): string {
  const name = raw.replace(/\\/g, '/');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    throw fileError(archive, 'path-escape', `entry ${JSON.stringify(raw.slice(0, 100))} is an absolute path`, { entry: raw.slice(0, 100) });
  }
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) {
    throw fileError(archive, 'path-escape', `entry ${JSON.stringify(raw.slice(0, 100))} escapes the archive ('..')`, { entry: raw.slice(0, 100) });
  }
  return parts.join('/');
}

/** Counts entries and expanded bytes across one archive and fails past the limits (zip bombs). */
class Budget {
  entries = 0;
  bytes = 0;
  constructor(
    private readonly archive: string,
    private readonly limits: IngestLimits,
  ) {}

  entry(name: string, declared: number) {
    if (++this.entries > this.limits.maxEntries) {
      throw fileError(this.archive, 'too-many-entries', `more than ${this.limits.maxEntries} entries (limit)`, { limit: this.limits.maxEntries });
    }
    if (declared > this.limits.maxEntryBytes) {
      throw fileError(this.archive, 'entry-too-large', `entry ${name} expands to ${declared} bytes, more than the limit of ${this.limits.maxEntryBytes}`);
    }
    if (this.bytes + declared > this.limits.maxExpandedBytes) this.overflow();
  }

  overflow(): never {
    throw fileError(this.archive, 'expanded-too-large', `expands to more than ${this.limits.maxExpandedBytes} bytes (limit)`, {
      limit: this.limits.maxExpandedBytes,
    });
  }

  /** Counts bytes as they are actually read: a lying header cannot get past the limit. */
  meter(name: string): Transform {
    let seen = 0;
    return new Transform({
      transform: (chunk: Buffer, _e, cb) => {
        seen += chunk.length;
        this.bytes += chunk.length;
        if (seen > this.limits.maxEntryBytes) return cb(fileError(this.archive, 'entry-too-large', `entry ${name} expands past ${this.limits.maxEntryBytes} bytes`));
        if (this.bytes > this.limits.maxExpandedBytes) {
          try {
            this.overflow();
          } catch (e) {
            return cb(e as Error);
          }
        }
        cb(null, chunk);
      },
    });
  }
}

/**
 * Iterates the regular files of a zip, tar or tar.gz upload, enforcing the limits and rejecting path
 * escapes and links. Directories are skipped. Zip needs random access: it is first streamed to a
 * temporary file (never held in memory).
 */
export async function* readArchive(file: SourceFile, limits: IngestLimits, tmpDir: string): AsyncGenerator<ArchiveEntry> {
  const kind = await sniffArchive(file);
  const budget = new Budget(file.name, limits);
  if (kind === 'zip') yield* readZip(file, budget, tmpDir);
  else yield* readTar(file, budget, kind === 'tar.gz');
}

async function* readTar(file: SourceFile, budget: Budget, gz: boolean): AsyncGenerator<ArchiveEntry> {
  const extract = tar.extract();
  const src = await file.open();
  const feed = gz ? pipeline(src, createGunzip(), extract) : pipeline(src, extract);
  let failed: unknown;
  feed.catch((e) => {
    failed = e;
  });
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const name = safeEntryName(file.name, h.name);
      if (h.type === 'symlink' || h.type === 'link') {
        throw fileError(file.name, 'link', `entry ${name} is a ${h.type === 'link' ? 'hard link' : 'symbolic link'}; links are not allowed`, { entry: name });
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') {
        entry.resume();
        if (h.type === 'directory' && name) yield { name, size: 0, stream: Readable.from([]), dir: true };
        continue;
      }
      budget.entry(name, h.size);
      const metered = entry.pipe(budget.meter(name));
      entry.on('error', (e) => metered.destroy(e));
      yield { name, size: h.size, stream: metered };
      // Drain whatever the consumer left unread.
      if (!metered.readableEnded) {
        metered.resume();
        await new Promise<void>((resolve, reject) => {
          metered.once('end', resolve);
          metered.once('error', reject);
          if (metered.readableEnded) resolve();
        });
      }
    }
    await feed;
  } catch (e) {
    src.destroy();
    extract.destroy();
    if (isInvalidFile(e)) throw e;
    throw wrapArchiveError(file.name, failed ?? e);
  }
  if (failed) throw wrapArchiveError(file.name, failed);
}

const isInvalidFile = (e: unknown): e is Error => !!e && typeof e === 'object' && (e as { code?: unknown }).code === 'INVALID_DATASET_FILE';

function wrapArchiveError(archive: string, e: unknown): Error {
  if (isInvalidFile(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/gzip|incorrect header|invalid (block|stored|distance)|unexpected end/i.test(msg)) {
    return fileError(archive, 'corrupt-archive', `the archive is corrupt or cut off: ${msg}`);
  }
  return fileError(archive, 'corrupt-archive', `could not read the archive: ${msg}`);
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

async function* readZip(file: SourceFile, budget: Budget, tmpDir: string): AsyncGenerator<ArchiveEntry> {
  const dir = await mkdtemp(path.join(tmpDir, 'zip-'));
  const local = path.join(dir, 'upload.zip');
  try {
    await pipeline(await file.open(), createWriteStream(local));
    let zip: yauzl.ZipFile;
    try {
      zip = await openZip(local);
    } catch (e) {
      throw zipError(file.name, e);
    }
    try {
      if (zip.entryCount > budget['limits'].maxEntries) {
        budget.entries = zip.entryCount - 1;
        budget.entry('', 0);
      }
      for (;;) {
        let entry: yauzl.Entry | undefined;
        try {
          entry = await nextEntry(zip);
        } catch (e) {
          throw zipError(file.name, e);
        }
        if (!entry) break;
        const name = safeEntryName(file.name, entry.fileName);
        const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
        if (mode === S_IFLNK) throw fileError(file.name, 'link', `entry ${name} is a symbolic link; links are not allowed`, { entry: name });
        if (entry.fileName.endsWith('/')) {
          if (name) yield { name, size: 0, stream: Readable.from([]), dir: true };
          continue;
        }
        budget.entry(name, entry.uncompressedSize);
        const raw = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry!, (err, s) => (err ? reject(zipError(file.name, err)) : resolve(s))));
        const metered = raw.pipe(budget.meter(name));
        raw.on('error', (e) => metered.destroy(zipError(file.name, e)));
        yield { name, size: entry.uncompressedSize, stream: metered };
        if (!metered.readableEnded) {
          metered.resume();
          await new Promise<void>((resolve, reject) => {
            metered.once('end', resolve);
            metered.once('error', reject);
          });
        }
      }
    } finally {
      zip.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function zipError(archive: string, e: unknown): Error {
  if (isInvalidFile(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/invalid relative path|absolute path/i.test(msg)) return fileError(archive, 'path-escape', `an entry escapes the archive: ${msg}`);
  return fileError(archive, 'corrupt-archive', `could not read the zip archive: ${msg}`);
}

const openZip = (p: string) =>
  new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(p, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const onEntry = (e: yauzl.Entry) => done(undefined, e);
    const onEnd = () => done(undefined, undefined);
    const onError = (err: Error) => done(err);
    const done = (err: Error | undefined, e?: yauzl.Entry) => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
      if (err) reject(err);
      else resolve(e);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

/** Reads a whole (small) entry. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

