/** `logstore push`: lines from stdin or files into the store, once or following the files. */
import { createReadStream } from 'node:fs';
import { addAbortSignal, type Readable } from 'node:stream';
import { homedir } from 'node:os';
import path from 'node:path';
import {
  LABEL_NAME_RE, canonicalLabels, duplicateLabelName, normalizeLabels, parseLabelString, type LabelPair,
} from '../core/index.js';
import { CLIENT_FLAGS, LokiClient } from './client.js';
import { type CommandSpec, UsageError, parseFlags, usage } from './flags.js';
import { followFiles, PositionsFile } from './follow.js';
import { Progress } from './progress.js';
import { DEFAULT_MAX_RETRIES, LineClock, Pusher } from './pusher.js';
import { LineSplitter } from './lines.js';
import { onInterrupt } from './signals.js';
import { parseDurationFlag, parseIntFlag, parseSizeFlag } from './values.js';


const PUSH_FLAGS = {
  labels: { type: 'string', short: 'l', value: 'LABELS', help: `stream labels, e.g. '{app="api", env="dev"}' (required)` },
  follow: { type: 'boolean', short: 'f', help: 'keep tailing the files (not stdin) until Ctrl-C' },
  positions: {
    type: 'string', value: 'FILE', env: 'LOGSTORE_POSITIONS', default: '~/.logstore/positions.json',
    help: 'where --follow saves how far each file was pushed',
  },
  'batch-size': { type: 'string', value: 'BYTES', default: '1MiB', help: 'send a batch when it would grow past this' },
  'batch-wait': { type: 'string', value: 'DUR', default: '1s', help: 'send a batch this long after its first line' },
  'max-retries': { type: 'string', value: 'N', default: String(DEFAULT_MAX_RETRIES), help: 'retries of a failed batch' },
  ...CLIENT_FLAGS,
} as const;

export const PUSH: CommandSpec<typeof PUSH_FLAGS> = {
  name: 'push',
  args: '[FILE...]',
  summary: 'Read lines from stdin or files and push them to the server (protobuf + snappy, like Promtail).',
  details:
    'Each line becomes one entry stamped with the time it was read. Lines from a file carry an extra\n' +
    "filename label with the file's absolute path. Stdin (no FILE, or -) is read first, then the files.\n" +
    'Batches are retried on 429, 5xx and connection errors with backoff (500ms doubling to 5m).\n' +
    'With --follow the files are tailed until Ctrl-C: rotation and truncation are handled, and the\n' +
    'position reached in each file is saved once the server acknowledged it, to resume after a restart.',
  minArgs: 0,
  maxArgs: Infinity,
  flags: PUSH_FLAGS,
  examples: [
    `journalctl -f | logstore push --labels '{job="journal", host="web-1"}'`,
    `logstore push --labels '{app="nginx"}' --follow /var/log/nginx/access.log`,
  ],
};

/** Validates a `--labels` value and returns its canonical form (sorted, Go-quoted). */
export function parseStreamLabels(text: string, extra: LabelPair[] = []): string {
  let pairs: LabelPair[];
  try {
    pairs = parseLabelString(text);
  } catch (e) {
    throw new UsageError(`invalid --labels ${text}: ${(e as Error).message}`);
  }
  const sorted = normalizeLabels([...pairs, ...extra]);
  if (sorted.length === 0) throw new UsageError(`invalid --labels ${text}: at least one label with a value is required`);
  for (const p of sorted) {
    if (!LABEL_NAME_RE.test(p.name)) throw new UsageError(`invalid --labels ${text}: invalid label name '${p.name}'`);
  }
  const dup = duplicateLabelName(sorted);
  if (dup) throw new UsageError(`invalid --labels ${text}: duplicate label name '${dup}'`);
  return canonicalLabels(sorted);
}

export async function push(argv: string[]): Promise<number> {
  const { flags, args, help } = parseFlags(PUSH, argv);
  if (help) {
    process.stdout.write(usage(PUSH));
    return 0;
  }
  if (!flags.labels) throw new UsageError(`missing --labels (see 'logstore push --help')`);
  const baseLabels = parseStreamLabels(flags.labels);
  const files = args.filter((a) => a !== '-');
  if (flags.follow && (files.length === 0 || files.length !== args.length)) {
    throw new UsageError('--follow needs one or more files (stdin cannot be followed)');
  }
  const client = new LokiClient({ addr: flags.addr!, tenant: flags.tenant });
  // A file named twice is read once.
  const sources = [...new Set(files.map((f) => path.resolve(f)))].map((file) => ({
    file,
    labels: parseStreamLabels(flags.labels!, [{ name: 'filename', value: file }]),
  }));
  const batchBytes = parseSizeFlag('batch-size', flags['batch-size']!);
  const batchWaitMs = Number(parseDurationFlag('batch-wait', flags['batch-wait']!) / 1_000_000n);
  const maxRetries = parseIntFlag('max-retries', flags['max-retries']!);
  const clock = new LineClock();

  if (flags.follow) {
    const positions = new PositionsFile(expandHome(flags.positions!));
    await positions.load();
    const pusher = new Pusher({
      client, batchBytes, batchWaitMs, maxRetries, dropFailedBatches: true,
      onCommit: (marks) => positions.save(marks),
    });
    const progress = new Progress(pusher);
    let dispose = () => {};
    const stopped = new Promise<void>((resolve) => {
      dispose = onInterrupt(resolve, 'lines not yet acknowledged are read again at the next start');
    });
    try {
      await followFiles({ files: sources, pusher, clock, positions, stopped, warn: (m) => process.stderr.write(`${m}\n`) });
    } finally {
      progress.stop();
      dispose();
    }
    return pusher.linesDropped > 0 ? 1 : 0;
  }

  const pusher = new Pusher({ client, batchBytes, batchWaitMs, maxRetries });
  const progress = new Progress(pusher);
  // Ctrl-C or SIGTERM: stop reading, but deliver what was read (like the end of input).
  const interrupt = new AbortController();
  const dispose = onInterrupt(() => interrupt.abort(), 'the lines not yet sent are lost');
  try {
    // stdin (once, wherever `-` appears, or alone without files), then the files in order.
    if (args.length === 0 || args.includes('-')) {
      await pushStream(process.stdin, baseLabels, pusher, clock, interrupt.signal);
    }
    for (const src of sources) {
      if (interrupt.signal.aborted) break;
      await pushStream(createReadStream(src.file), src.labels, pusher, clock, interrupt.signal);
    }
    await pusher.close();
  } finally {
    progress.stop();
    dispose();
  }
  return 0;
}

function expandHome(p: string): string {
  return path.resolve(p.startsWith('~/') ? path.join(homedir(), p.slice(2)) : p);
}

async function pushStream(
  input: NodeJS.ReadableStream & Readable,
  labels: string,
  pusher: Pusher,
  clock: LineClock,
  interrupted: AbortSignal,
): Promise<void> {
  const splitter = new LineSplitter();
  try {
    for await (const chunk of addAbortSignal(interrupted, input)) {
      for (const line of splitter.push(chunk as Buffer)) {
        const pending = pusher.add(labels, clock.next(), line);
        if (pending) await pending;
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.name === 'AbortError') return;
    if (err.code && err.path) throw new UsageError(`cannot read ${err.path}: ${err.code}`);
    throw e;
  }
  for (const line of splitter.end()) {
    const pending = pusher.add(labels, clock.next(), line);
    if (pending) await pending;
  }
}
