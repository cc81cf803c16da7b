/**
 * Runs the real built command (`node bin/logstore.js`, after `npm run build`) as a child
 * process, and starts real servers with it on 127.0.0.1, any free port, in a temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { uncompressSync } from 'snappy';
import { PushRequestMessage } from '../../src/distributor/index.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/logstore.js');

/** Environment without the user's logstore settings, so tests see the documented defaults. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, NO_COLOR: '1' };
  for (const k of Object.keys(env)) if (k.startsWith('LOGSTORE_')) delete env[k];
  return { ...env, ...extra };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: cleanEnv(env) });
}

/** Runs the command to its end, feeding `input` on stdin. */
export function run(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
  const child = spawnCli(args, opts.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdin!.end(opts.input ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Resolves once `pattern` appears in what the child wrote to `stream`. */
export function waitForOutput(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d;
      const m = pattern.exec(text);
      if (m) {
        child[stream]!.off('data', onData);
        resolve(m);
      }
    };
    child[stream]!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited (${code}) before ${pattern}: ${text}`)));
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export interface CliServer {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** `logstore serve` on any free port of 127.0.0.1 over `dataDir`, once it listens. */
export async function serveProcess(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnCli(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir]);
  const [, url] = await waitForOutput(child, 'stdout', /listening on (http:\/\/\S+)/);
  return { child, url };
}

/** `logstore serve` on a free port with a temp data dir, removed by `stop()`. */
export async function startServer(): Promise<CliServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'logstore-cli-'));
  const { child, url } = await serveProcess(dataDir);
  return {
    url,
    dataDir,
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RecordedPush {
  labels: string;
  line: string;
  ts: bigint;
}

/**
 * A stand-in push endpoint that records every entry it acknowledges, and answers with the
 * statuses of `script` first (e.g. 429, 503) before acknowledging with 204.
 */
export async function startRecorder(script: { status: number; body?: string }[] = []): Promise<{
  url: string;
  entries: RecordedPush[];
  requests: number;
  close(): Promise<void>;
}> {
  const state = { entries: [] as RecordedPush[], requests: 0 };
  const pending = [...script];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      const next = pending.shift();
      if (next) {
        res.writeHead(next.status, { 'content-type': 'text/plain' }).end(next.body ?? '');
        return;
      }
      const decoded = PushRequestMessage.toObject(PushRequestMessage.decode(uncompressSync(Buffer.concat(chunks)) as Buffer), {
        longs: String,
      }) as { streams: { labels: string; entries: { timestamp: { seconds: string; nanos?: number }; line: string }[] }[] };
      for (const s of decoded.streams) {
        for (const e of s.entries) {
          state.entries.push({ labels: s.labels, line: e.line, ts: BigInt(e.timestamp.seconds) * 1_000_000_000n + BigInt(e.timestamp.nanos ?? 0) });
        }
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}`,
    get entries() {
      return state.entries;
    },
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Waits until `check` holds, polling; fails after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
