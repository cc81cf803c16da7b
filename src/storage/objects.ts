/**
 * Object stores hold chunk bytes under string keys (`<tenant>/<series>/<name>`). The interface
 * is the small common ground of S3-like stores, so one can be added later; the filesystem
 * store is the default. Conformance tests: test/storage/object-store.conformance.ts.
 */
import { randomBytes } from 'node:crypto';
import { close, open, promises as fsp, read } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { LokiError } from '../core/index.js';

export interface ObjectStore {
  /**
   * Stores `data` under `key`, replacing any previous object; durable when it resolves. Given
   * parts, the object is their bytes back to back, written without joining them in memory first.
   */
  put(key: string, data: Buffer | readonly Buffer[]): Promise<void>;
  /** The object's bytes; a `not_found` LokiError when there is none. */
  get(key: string): Promise<Buffer>;
  /**
   * Up to `length` bytes of the object from `offset`: fewer where the object ends first, none
   * from its end on (as an HTTP range request answers). A `not_found` LokiError when there is
   * no object. Lets readers fetch only the parts of a large object they need.
   */
  getRange(key: string, offset: number, length: number): Promise<Buffer>;
  /** Removes the object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix` (a plain string prefix), in ascending order. */
  list(prefix: string): AsyncIterable<string>;
}

/** Directory (under the root) holding writes in progress; never a key's first segment. */
const TMP_DIR = '.tmp';
/** A temp file this old belongs to no write in progress (a write takes seconds at most). */
const STALE_TMP_MS = 60 * 60 * 1000;

/**
 * Keys are `/`-separated relative paths. Rejected: empty segments, `.`/`..`, backslashes and
 * NUL, which could escape the root or alias another key on some filesystem.
 */
export function checkObjectKey(key: string): void {
  const segments = key.split('/');
  const bad =
    key.length === 0 ||
    key.includes('\\') ||
    key.includes('\0') ||
    segments[0] === TMP_DIR ||
    segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad) throw new LokiError('bad_request', `invalid object key ${JSON.stringify(key)}`);
}

// Ranged reads use the callback API: fs/promises' FileHandle costs ~40% more CPU per small
// read (measured), and a log query makes one to three ranged reads per chunk.
const openFd = promisify(open);
const readFd = promisify(read);
const closeFd = promisify(close);

function isErrno(e: unknown, code: string): boolean {
  return (e as NodeJS.ErrnoException)?.code === code;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * One file per object under a root directory. Writes are atomic and durable: a temp file is
 * written and fsync'ed, renamed over the key's path, then the directory is fsync'ed (and so
 * are parents the write created), so a crash leaves either the old object or the new one.
 */
export class FsObjectStore implements ObjectStore {
  private readonly root: string;
  private tmpReady: Promise<void> | undefined;

  constructor(dir: string) {
    this.root = path.resolve(dir);
  }

  private pathOf(key: string): string {
    checkObjectKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  /**
   * Temp files left by a crash are garbage: remove them once, before the first write. Only
   * old ones, so another store instance's write in progress on the same root is left alone.
   */
  private prepareTmp(): Promise<void> {
    this.tmpReady ??= (async () => {
      const tmp = path.join(this.root, TMP_DIR);
      await fsp.mkdir(tmp, { recursive: true });
      const cutoff = Date.now() - STALE_TMP_MS;
      for (const name of await fsp.readdir(tmp)) {
        const file = path.join(tmp, name);
        const st = await fsp.stat(file).catch(() => undefined);
        if (st && st.mtimeMs < cutoff) await fsp.rm(file, { force: true });
      }
    })().catch((e: unknown) => {
      this.tmpReady = undefined; // retry on the next write
      throw e;
    });
    return this.tmpReady;
  }

  async put(key: string, data: Buffer | readonly Buffer[]): Promise<void> {
    const target = this.pathOf(key);
    const parts = Buffer.isBuffer(data) ? [data] : data;
    let size = 0;
    for (const p of parts) size += p.length;
    await this.prepareTmp();
    const tmp = path.join(this.root, TMP_DIR, randomBytes(12).toString('hex'));
    const fh = await fsp.open(tmp, 'wx');
    try {
      // One gathered write: libuv repeats it until every part is written, or fails.
      const { bytesWritten } = await fh.writev(parts as Buffer[]);
      if (bytesWritten !== size) throw new Error(`short write of object ${key}: ${bytesWritten} of ${size} bytes`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      const dir = path.dirname(target);
      // A concurrent delete may remove the (then empty) directory between mkdir and rename.
      for (let attempt = 0; ; attempt++) {
        const firstCreated = await fsp.mkdir(dir, { recursive: true });
        try {
          await fsp.rename(tmp, target);
        } catch (e) {
          if (isErrno(e, 'ENOENT') && attempt < 3) continue;
          throw e;
        }
        await fsyncDir(dir);
        if (firstCreated !== undefined) {
          // New directories must reach their parents' entries too.
          for (let d = dir; d !== path.dirname(firstCreated); d = path.dirname(d)) await fsyncDir(path.dirname(d));
        }
        return;
      }
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fsp.readFile(this.pathOf(key));
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) throw new LokiError('not_found', `object ${key} not found`);
      throw e;
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    if (!(Number.isSafeInteger(offset) && offset >= 0 && Number.isSafeInteger(length) && length >= 0)) {
      throw new RangeError(`invalid range of object ${key}: ${length} bytes at ${offset}`);
    }
    let fd: number;
    try {
      fd = await openFd(this.pathOf(key), 'r');
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) throw new LokiError('not_found', `object ${key} not found`);
      throw e;
    }
    try {
      const out = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await readFd(fd, out, got, length - got, offset + got);
        if (bytesRead === 0) break; // the object ends here
        got += bytesRead;
      }
      return got === length ? out : out.subarray(0, got);
    } finally {
      await closeFd(fd);
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await fsp.unlink(file);
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return;
      throw e;
    }
    // Drop directories left empty (a tenant's series after retention), up to the root.
    for (let dir = path.dirname(file); dir !== this.root; dir = path.dirname(dir)) {
      try {
        await fsp.rmdir(dir);
      } catch {
        break; // not empty (or already gone): parents are not empty either
      }
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    if (dirKey !== '') {
      try {
        checkObjectKey(dirKey);
      } catch {
        return; // no valid key lies under an invalid directory
      }
    }
    yield* this.walk(dirKey, prefix);
  }

  private async *walk(dirKey: string, prefix: string): AsyncIterable<string> {
    const dir = dirKey === '' ? this.root : path.join(this.root, ...dirKey.split('/'));
    let names: { name: string; isDir: boolean }[];
    try {
      const entries = await fsp.readdir(dir, { withFileTypes: true });
      names = entries.map((e) => ({ name: e.name, isDir: e.isDirectory() }));
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return;
      throw e;
    }
    // Sort by the key each entry produces ("a/..." sorts by "a/"), so keys come out ordered.
    const keyed = names
      .filter((n) => !(dirKey === '' && n.name === TMP_DIR))
      .map((n) => ({ ...n, key: dirKey === '' ? n.name : `${dirKey}/${n.name}` }))
      .sort((a, b) => {
        const ka = a.isDir ? `${a.key}/` : a.key, kb = b.isDir ? `${b.key}/` : b.key;
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
    for (const n of keyed) {
      if (n.isDir) {
        const asDir = `${n.key}/`;
        if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) yield* this.walk(n.key, prefix);
      } else if (n.key.startsWith(prefix)) {
        yield n.key;
      }
    }
  }
}
