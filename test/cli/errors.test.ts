/**
 * Bad input and failures: one line on stderr, no stack trace, and the documented exit code
 * (2 for bad input, 1 for failures while running).
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from './helpers.js';

/** An address where nothing listens: a port of 127.0.0.1 bound and released just before. */
async function deadAddr(): Promise<string> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

function expectOneLineError(r: { stderr: string; stdout: string }, pattern: RegExp): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
}

const COMMANDS = ['serve', 'query', 'labels', 'series', 'tail', 'push', 'demo'];

describe('usage', () => {
  it('prints help for every subcommand with exit 0', async () => {
    for (const c of COMMANDS) {
      const r = await run([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: logstore ${c}`));
      expect(r.stdout).toMatch(/--help/);
    }
    expect((await run(['help', 'tail'])).stdout).toMatch(/^Usage: logstore tail/);
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(`  ${c} `);
  });

  it('refuses unknown commands and flags with exit 2', async () => {
    expectOneLineError(await run(['frobnicate']), /^logstore: unknown command 'frobnicate'/);
    expectOneLineError(await run(['constructor']), /^logstore: unknown command 'constructor'/);
    expect((await run(['frobnicate'])).code).toBe(2);
    for (const c of COMMANDS) {
      const r = await run([c, '--no-such-flag']);
      expect(r.code, c).toBe(2);
      expectOneLineError(r, new RegExp(`^logstore ${c}: unknown flag --no-such-flag`));
    }
    expect((await run([])).code).toBe(2);
  });

  it('refuses bad flag values and missing arguments with exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['query'], /missing argument/],
      [['query', '{a="b"}', '--since', 'yesterday'], /invalid --since 'yesterday'/],
      [['query', '{a="b"}', '--direction', 'sideways'], /invalid --direction 'sideways'/],
      [['query', '{a="b"}', '--output', 'xml'], /invalid --output 'xml'/],
      [['query', '{a="b"}', '--limit'], /flag --limit needs a value/],
      [['query', '{a="b"}', '--from', 'tomorrow-ish'], /invalid --from/],
      [['push'], /missing --labels/],
      [['push', '--labels', '{app=}'], /invalid --labels \{app=\}: couldn't parse labels/],
      [['push', '--labels', '{app="x"}', '--follow'], /--follow needs one or more files/],
      [['demo', '--rate', '0'], /invalid --rate '0'/],
      [['demo', '--backfill', '30d'], /invalid --backfill '30d'/],
      [['tail', '{a="b"}', '--delay-for', '9'], /at most 5 seconds/],
      [['labels', '--addr', 'ftp://x'], /invalid --addr/],
    ];
    for (const [args, pattern] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expectOneLineError(r, pattern);
    }
  });

  it('refuses a bad config file with exit 2 before listening', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'logstore-cfg-'));
    try {
      const file = path.join(dir, 'bad.yaml');
      await writeFile(file, 'server:\n  http_listen_port: [1, 2\n');
      const r = await run(['serve', '--config', file, '--data-dir', dir]);
      expect(r.code).toBe(2);
      expectOneLineError(r, /^logstore serve: config file .* is not valid YAML/);
      await writeFile(file, 'no_such_key: 1\n');
      const r2 = await run(['serve', '--config', file, '--data-dir', dir]);
      expect(r2.code).toBe(2);
      expectOneLineError(r2, /unknown configuration key no_such_key/);
      const r3 = await run(['serve', '--config', path.join(dir, 'missing.yaml')]);
      expect(r3.code).toBe(2);
      expectOneLineError(r3, /cannot read config file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('serve', () => {
  it('fails with exit 1 and one line when its port is taken', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const dir = await mkdtemp(path.join(tmpdir(), 'logstore-port-'));
    try {
      const r = await run(['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`logstore serve: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`);
      const bad = await run(['serve', '--listen', 'nonsense', '--data-dir', dir]);
      expect(bad.code).toBe(2);
      expectOneLineError(bad, /^logstore serve: invalid listen address 'nonsense'/);
    } finally {
      await new Promise((r) => taken.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('unreachable server', () => {
  it('fails with exit 1 and says where it tried', async () => {
    const addr = await deadAddr();
    const cases: [string[], string?][] = [
      [['query', '{app="x"}', '--addr', addr]],
      [['labels', '--addr', addr]],
      [['series', '{app="x"}', '--addr', addr]],
      [['tail', '{app="x"}', '--addr', addr]],
      [['push', '--labels', '{app="x"}', '--addr', addr], 'a line\n'],
      [['demo', '--duration', '0', '--addr', addr]],
    ];
    for (const [args, input] of cases) {
      const r = await run(args, { input });
      expect(r.code, args[0]).toBe(1);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines.at(-1)).toMatch(new RegExp(`^logstore ${args[0]}: cannot reach the server at ${addr} \\(ECONNREFUSED\\)`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
