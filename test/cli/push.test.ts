/**
 * `logstore push` at the wire: a recording push endpoint sees exactly what the command sent,
 * so "nothing lost, nothing twice" is checked entry by entry, retries included.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendFile, mkdtemp, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, exited, run, spawnCli, startRecorder, waitForOutput } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function recorder(script?: { status: number; body?: string }[]) {
  const r = await startRecorder(script);
  cleanups.push(() => r.close());
  return r;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'logstore-push-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function lines(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix} ${i}`);
}

describe('push from stdin and files', () => {
  it('sends every line once, in order, with canonical labels and increasing timestamps', async () => {
    const rec = await recorder();
    const input = lines('stdin line', 5000);
    const r = await run(['push', '--labels', '{env="dev",app="api"}', '--addr', rec.url, '--batch-size', '4KiB'], {
      input: `${input.join('\n')}\r\n\n`,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(rec.entries.map((e) => e.line)).toEqual(input);
    expect(new Set(rec.entries.map((e) => e.labels))).toEqual(new Set(['{app="api", env="dev"}']));
    expect(rec.requests).toBeGreaterThan(10);
    for (let i = 1; i < rec.entries.length; i++) expect(rec.entries[i].ts > rec.entries[i - 1].ts).toBe(true);
  });

  it('labels lines from files with their filename, and sends a last line without newline', async () => {
    const rec = await recorder();
    const dir = await tempDir();
    const a = path.join(dir, 'a.log');
    await writeFile(a, 'first\nsecond\nno newline at end');
    const r = await run(['push', '-l', '{app="files"}', '--addr', rec.url, a]);
    expect(r.code).toBe(0);
    expect(rec.entries.map((e) => [e.labels, e.line])).toEqual(
      ['first', 'second', 'no newline at end'].map((l) => [`{app="files", filename="${a}"}`, l]),
    );
  });

  it('fails with exit 2 on a missing file', async () => {
    const rec = await recorder();
    const r = await run(['push', '-l', '{app="files"}', '--addr', rec.url, '/nonexistent/file.log']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('logstore push: cannot read /nonexistent/file.log: ENOENT');
  });

  it('on Ctrl-C sends what it has read and exits 0', async () => {
    const rec = await recorder();
    const child = spawnCli(['push', '--labels', '{app="ctrlc"}', '--addr', rec.url, '--batch-wait', '1m']);
    child.stdin!.write('read before\nthe signal\n');
    // Time to start and read; nothing is sent before the batch wait or the signal.
    await new Promise((r) => setTimeout(r, 1500));
    expect(rec.requests).toBe(0);
    child.kill('SIGINT');
    expect(await exited(child)).toBe(0);
    expect(rec.entries.map((e) => e.line)).toEqual(['read before', 'the signal']);
  });

  it('retries 429 and 5xx answers like Promtail, then delivers the batch once', async () => {
    const rec = await recorder([{ status: 429, body: 'ingestion rate limit exceeded' }, { status: 503, body: 'unavailable' }]);
    const r = await run(['push', '--labels', '{app="retry"}', '--addr', rec.url], { input: 'one\ntwo\n' });
    expect(r.code).toBe(0);
    expect(rec.requests).toBe(3);
    expect(rec.entries.map((e) => e.line)).toEqual(['one', 'two']);
  });

  it('gives up after --max-retries with exit 1', async () => {
    const rec = await recorder([{ status: 500, body: 'boom' }, { status: 500, body: 'boom' }]);
    const r = await run(['push', '--labels', '{app="retry"}', '--addr', rec.url, '--max-retries', '1'], { input: 'x\n' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('logstore push: push failed after 2 attempts: boom');
    expect(rec.requests).toBe(2);
  });

  it('does not retry a refusal; prints the server text and exits 2', async () => {
    const rec = await recorder([{ status: 400, body: "entry for stream '{app=\"x\"}' has timestamp too old\n" }]);
    const r = await run(['push', '--labels', '{app="x"}', '--addr', rec.url], { input: 'x\n' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      "logstore push: server refused the push (HTTP 400): entry for stream '{app=\"x\"}' has timestamp too old",
    );
    expect(rec.requests).toBe(1);
  });
});

describe('push --follow', () => {
  it('follows rotation and truncation, and resumes from saved positions without loss or repeats', async () => {
    const rec = await recorder();
    const dir = await tempDir();
    const log = path.join(dir, 'app.log');
    const positions = path.join(dir, 'state', 'positions.json');
    const args = ['push', '--follow', '--labels', '{app="follow"}', '--addr', rec.url, '--positions', positions, '--batch-wait', '100ms', log];
    const sent: string[] = [];
    const write = async (ls: string[]) => {
      sent.push(...ls);
      await appendFile(log, ls.map((l) => `${l}\n`).join(''));
    };
    const received = () => rec.entries.map((e) => e.line);

    // The file does not exist yet: the follower waits for it.
    let child = spawnCli(args);
    await write(lines('before rotation', 200));
    await eventually(() => rec.entries.length === 200);

    // logrotate's default: rename, then a new file at the same path.
    await write(['last line of the old file']);
    await rename(log, `${log}.1`);
    await write(lines('after rotation', 100));
    await eventually(() => rec.entries.length === 301);
    expect(received()).toEqual(sent);

    // copytruncate: the file is emptied in place and written again from the start.
    await truncate(log, 0);
    await new Promise((r) => setTimeout(r, 600));
    await write(lines('after truncation', 10));
    await eventually(() => rec.entries.length === 311);
    expect(received()).toEqual(sent);

    // Stop (Ctrl-C), write while stopped, restart: only the new lines are sent.
    child.kill('SIGINT');
    expect(await exited(child)).toBe(0);
    const saved = JSON.parse(await readFile(positions, 'utf8')) as { positions: Record<string, { offset: number }> };
    expect(Object.keys(saved.positions)).toEqual([log]);
    await write(lines('while stopped', 50));
    child = spawnCli(args);
    await eventually(() => rec.entries.length >= 361);
    await write(lines('after restart', 5));
    await eventually(() => rec.entries.length >= 366);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);

    expect(received()).toEqual(sent);
    expect(new Set(rec.entries.map((e) => e.labels))).toEqual(new Set([`{app="follow", filename="${log}"}`]));
  });

  it('reports a line partly written until its newline arrives', async () => {
    const rec = await recorder();
    const dir = await tempDir();
    const log = path.join(dir, 'partial.log');
    await writeFile(log, 'complete\npart');
    const child = spawnCli(['push', '-f', '-l', '{app="p"}', '--addr', rec.url, '--positions', path.join(dir, 'pos.json'), '--batch-wait', '50ms', log]);
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await exited(child);
    });
    await eventually(() => rec.entries.length === 1);
    await new Promise((r) => setTimeout(r, 400));
    expect(rec.entries.map((e) => e.line)).toEqual(['complete']);
    await appendFile(log, 'ial line\n');
    await eventually(() => rec.entries.length === 2);
    expect(rec.entries[1].line).toBe('partial line');
  });

  it('a second Ctrl-C while a batch is being retried exits 130 without saving its position', async () => {
    const rec = await recorder(Array.from({ length: 50 }, () => ({ status: 503, body: 'unavailable' })));
    const dir = await tempDir();
    const log = path.join(dir, 'r.log');
    const positions = path.join(dir, 'pos.json');
    await writeFile(log, 'never acknowledged\n');
    const child = spawnCli(['push', '-f', '-l', '{app="r"}', '--addr', rec.url, '--positions', positions, '--batch-wait', '50ms', log]);
    await eventually(() => rec.requests >= 1);
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode).toBe(null);
    child.kill('SIGINT');
    expect(await exited(child)).toBe(130);
    await expect(readFile(positions, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('drops a refused batch in follow mode, keeps going and exits 1 at the end', async () => {
    const rec = await recorder([{ status: 400, body: 'line too long' }]);
    const dir = await tempDir();
    const log = path.join(dir, 'd.log');
    await writeFile(log, 'refused\n');
    const child = spawnCli(['push', '-f', '-l', '{app="d"}', '--addr', rec.url, '--positions', path.join(dir, 'pos.json'), '--batch-wait', '50ms', log]);
    await waitForOutput(child, 'stderr', /dropped 1 lines: server refused the push \(HTTP 400\): line too long/);
    await appendFile(log, 'accepted\n');
    await eventually(() => rec.entries.length === 1);
    expect(rec.entries[0].line).toBe('accepted');
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(1);
  });
});
