/**
 * Throughput of `logstore push` itself (read, split, batch, protobuf, snappy, HTTP) against an
 * endpoint that acknowledges at once, so the server's ingest and rate limits are out of the
 * figure. Runs the built command (npm run build first) on 300k bench lines; best of 3.
 * Run: npx tsx bench/cli-push.ts
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from './generate.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const LINES = 300_000;
const ROUNDS = 3;

const received = { requests: 0, bytes: 0 };
const server = createServer((req, res) => {
  req.on('data', (c: Buffer) => (received.bytes += c.length));
  req.on('end', () => {
    received.requests++;
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const dir = await mkdtemp(path.join(tmpdir(), 'logstore-bench-push-'));
const file = path.join(dir, 'lines.log');
const out = createWriteStream(file);
for (const l of generate(LINES, 1_714_550_400_000_000_000n, 3_600_000_000_000n)) {
  if (!out.write(`${l.line}\n`)) await new Promise((r) => out.once('drain', r));
}
await new Promise((r) => out.end(r));
const size = (await stat(file)).size;

let best = Infinity;
for (let i = 0; i < ROUNDS; i++) {
  received.requests = 0;
  received.bytes = 0;
  const t0 = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/logstore.js'), 'push', '-l', '{app="bench"}', '--addr', url, file], {
      stdio: 'inherit',
    });
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`push exited with ${code}`);
  best = Math.min(best, performance.now() - t0);
}
const secs = best / 1000;
console.log(`logstore push, ${LINES.toLocaleString('en-US')} lines (${(size / 1048576).toFixed(1)} MiB) from a file, best of ${ROUNDS}:`);
console.log(`  ${(LINES / secs).toLocaleString('en-US', { maximumFractionDigits: 0 })} lines/s, ${(size / 1048576 / secs).toFixed(1)} MiB/s (process start included)`);
console.log(`  ${received.requests} requests, ${(received.bytes / 1048576).toFixed(1)} MiB on the wire (snappy ratio ${(size / received.bytes).toFixed(2)})`);

server.close();
await rm(dir, { recursive: true, force: true });
