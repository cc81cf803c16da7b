/**
 * `push --follow`: tails files the way Promtail does on every node. Each file is polled (a
 * stat and a read every `POLL_MS`; file-change events are unreliable across platforms and
 * filesystems, polling is not). Rotation is noticed when the path names a different inode (or
 * none): the old file is read to its end, including a last line without newline, before the
 * new one is opened from its start. Truncation (copytruncate) is noticed when the open file is
 * shorter than the position read, and reading restarts at 0.
 *
 * Positions are saved (atomically, to a JSON file) only once the server acknowledged every
 * line before them, so a restart resumes where the acknowledged data ends: nothing is lost and,
 * unless the process dies between an acknowledgement and the save, nothing is sent twice.
 * If the file was rotated while the follower was down, the new file is read from its start;
 * what was left unread in the rotated file is not looked for (Promtail behaves the same).
 */
import { open, readFile, rename, stat, mkdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CliError, EXIT_USAGE } from './flags.js';
import { LineSplitter } from './lines.js';
import { type LineClock, type Pusher } from './pusher.js';

export const POLL_MS = 250;
const READ_CHUNK = 64 * 1024;

export interface SavedPosition {
  offset: number;
  inode: number;
}

/** The positions file: `{"positions": {"/abs/path": {"offset": n, "inode": n}}}`. */
export class PositionsFile {
  private positions: Record<string, SavedPosition> = {};

  constructor(readonly file: string) {}

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    try {
      const doc = JSON.parse(text) as { positions?: Record<string, SavedPosition> };
      this.positions = doc.positions ?? {};
    } catch {
      throw new CliError(`positions file ${this.file} is not valid JSON; remove it to start over`, EXIT_USAGE);
    }
  }

  get(file: string): SavedPosition | undefined {
    return this.positions[file];
  }

  async save(updates: Map<string, unknown>): Promise<void> {
    for (const [file, pos] of updates) this.positions[file] = pos as SavedPosition;
    await mkdir(path.dirname(this.file), { recursive: true });
    // Written aside, synced, then renamed over the old file: a crash leaves one or the other.
    const tmp = `${this.file}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(`${JSON.stringify({ positions: this.positions }, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.file);
  }
}

type Warn = (message: string) => void;

/** One followed path: the open file behind it, how far it was read, the partial last line. */
class FollowedFile {
  private handle: FileHandle | undefined;
  private inode = 0;
  private offset = 0;
  private readonly splitter = new LineSplitter();
  private readonly buf = Buffer.allocUnsafe(READ_CHUNK);

  constructor(
    readonly file: string,
    private readonly labels: string,
    private readonly pusher: Pusher,
    private readonly clock: LineClock,
    private readonly positions: PositionsFile,
    private readonly warn: Warn,
  ) {}

  async poll(): Promise<void> {
    if (!this.handle && !(await this.openCurrent())) return;
    await this.readToEnd();
    const st = await this.handle!.stat();
    if (st.size < this.offset) {
      this.warn(`push: ${this.file} was truncated; reading it again from the start`);
      this.offset = 0;
      this.splitter.reset();
      await this.readToEnd();
    }
    const current = await stat(this.file).catch(() => undefined);
    if (!current || current.ino !== this.inode) {
      // Rotated: whatever the writer put in the old file before it moved on is still ours.
      await this.readToEnd();
      await this.addLines(this.splitter.end());
      await this.handle!.close();
      this.handle = undefined;
      if (current) await this.poll();
    }
  }

  private async openCurrent(): Promise<boolean> {
    let handle: FileHandle;
    try {
      handle = await open(this.file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    const st = await handle.stat();
    const saved = this.positions.get(this.file);
    this.handle = handle;
    this.inode = st.ino;
    this.offset = saved && saved.inode === st.ino && saved.offset <= st.size ? saved.offset : 0;
    this.splitter.reset();
    return true;
  }

  private async readToEnd(): Promise<void> {
    for (;;) {
      const { bytesRead } = await this.handle!.read(this.buf, 0, READ_CHUNK, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      await this.addLines(this.splitter.push(this.buf.subarray(0, bytesRead)));
    }
  }

  private async addLines(lines: string[]): Promise<void> {
    for (const line of lines) {
      const pending = this.pusher.add(this.labels, this.clock.next(), line);
      if (pending) await pending;
    }
    this.pusher.mark(this.file, { offset: this.offset - this.splitter.pendingBytes, inode: this.inode });
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}

export interface FollowOptions {
  /** Absolute paths with the label string of each. */
  files: { file: string; labels: string }[];
  pusher: Pusher;
  clock: LineClock;
  positions: PositionsFile;
  /** Resolves when following should stop (Ctrl-C, SIGTERM). */
  stopped: Promise<void>;
  warn: Warn;
}

/** Polls every file until `stopped`, then sends what was read and saves the positions. */
export async function followFiles(opts: FollowOptions): Promise<void> {
  const followed = opts.files.map(
    (f) => new FollowedFile(f.file, f.labels, opts.pusher, opts.clock, opts.positions, opts.warn),
  );
  let stop = false;
  opts.stopped.then(() => (stop = true));
  // A file that stays unreadable is reported once, not every poll.
  const lastError = new Map<string, string>();
  let wake: (() => void) | undefined;
  opts.stopped.then(() => wake?.());
  try {
    while (!stop) {
      for (const f of followed) {
        try {
          await f.poll();
          lastError.delete(f.file);
        } catch (e) {
          const message = `push: cannot read ${f.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
          if (lastError.get(f.file) !== message) opts.warn(message);
          lastError.set(f.file, message);
        }
      }
      if (stop) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, POLL_MS);
      });
    }
  } finally {
    await Promise.all(followed.map((f) => f.close()));
  }
  await opts.pusher.close();
}
