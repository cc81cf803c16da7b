/** The CLI's small parts: flag parsing, values, line splitting, output helpers, the workload. */
import { describe, expect, it } from 'vitest';
import { type CommandSpec, parseFlags, usage, UsageError } from '../../src/cli/flags.js';
import { LineSplitter } from '../../src/cli/lines.js';
import { commonLabels, formatLabels, table } from '../../src/cli/output.js';
import { LineClock } from '../../src/cli/pusher.js';
import { parseDurationFlag, parseSizeFlag, parseTimeFlag } from '../../src/cli/values.js';
import { DEFAULT_INCIDENT_EVERY_NS, DemoWorkload, logfmtLine } from '../../src/cli/workload.js';

const FLAGS = {
  since: { type: 'string', value: 'DUR', default: '1h', help: 'look back' },
  addr: { type: 'string', value: 'URL', env: 'T_ADDR', default: 'http://x', help: 'server' },
  quiet: { type: 'boolean', short: 'q', help: 'hush' },
  match: { type: 'string', multiple: true, help: 'selectors' },
} as const;
const SPEC: CommandSpec<typeof FLAGS> = { name: 't', args: '<q>', summary: 'Test.', flags: FLAGS, minArgs: 1, maxArgs: 1 };

describe('flags', () => {
  it('applies flag, then environment, then default', () => {
    expect(parseFlags(SPEC, ['q'], { env: {} }).flags).toEqual({ since: '1h', addr: 'http://x', quiet: false, match: [] });
    expect(parseFlags(SPEC, ['q'], { env: { T_ADDR: 'http://env' } }).flags.addr).toBe('http://env');
    const p = parseFlags(SPEC, ['--addr=http://flag', '-q', 'q', '--match', 'a', '--match', 'b'], { env: { T_ADDR: 'http://env' } });
    expect(p.flags).toMatchObject({ addr: 'http://flag', quiet: true, match: ['a', 'b'] });
    expect(p.args).toEqual(['q']);
    expect(parseFlags(SPEC, ['q'], { env: { T_ADDR: 'http://env' }, applyDefaults: false }).flags).toMatchObject({
      since: undefined, addr: undefined,
    });
  });

  it('turns parse errors into one-line usage errors', () => {
    expect(() => parseFlags(SPEC, ['--nope', 'q'])).toThrow(new UsageError("unknown flag --nope (see 'logstore t --help')"));
    expect(() => parseFlags(SPEC, ['q', '--since'])).toThrow(/^flag --since needs a value/);
    expect(() => parseFlags(SPEC, [])).toThrow(/^missing argument <q>/);
    expect(() => parseFlags(SPEC, ['a', 'b'])).toThrow(/^unexpected argument 'b'/);
    expect(parseFlags(SPEC, ['--help']).help).toBe(true);
  });

  it('writes usage from the same declarations', () => {
    const text = usage(SPEC);
    expect(text).toContain('Usage: logstore t <q> [options]');
    expect(text).toMatch(/--addr URL\s+server \(default http:\/\/x, env T_ADDR\)/);
    expect(text).toMatch(/-q, --quiet\s+hush/);
    expect(text).toMatch(/-h, --help\s+show this help/);
  });
});

describe('values', () => {
  const now = 1_714_550_400_000_000_000n;
  it('reads times in the forms Loki accepts, and durations ago', () => {
    expect(parseTimeFlag('from', '2024-05-01T08:00:00Z', now)).toBe(now);
    expect(parseTimeFlag('from', '1714550400', now)).toBe(now);
    expect(parseTimeFlag('from', '1714550400000000005', now)).toBe(now + 5n);
    expect(parseTimeFlag('from', '1h', now)).toBe(now - 3_600_000_000_000n);
    expect(parseTimeFlag('to', 'now', now)).toBe(now);
    expect(() => parseTimeFlag('from', 'yesterday', now)).toThrow(/^invalid --from 'yesterday'/);
  });

  it('reads durations and sizes', () => {
    expect(parseDurationFlag('since', '1h30m')).toBe(5_400_000_000_000n);
    expect(parseDurationFlag('since', '7d')).toBe(7n * 86_400_000_000_000n);
    expect(() => parseDurationFlag('since', '-5m')).toThrow(/invalid --since/);
    expect(parseSizeFlag('batch-size', '1MiB')).toBe(1048576);
    expect(parseSizeFlag('batch-size', '512KB')).toBe(524288);
    expect(parseSizeFlag('batch-size', '100')).toBe(100);
    expect(() => parseSizeFlag('batch-size', 'lots')).toThrow(/invalid --batch-size/);
  });
});

describe('LineSplitter', () => {
  it('holds partial lines, strips CR, skips blank lines and counts pending bytes', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from('one\r\ntw'))).toEqual(['one']);
    expect(s.pendingBytes).toBe(2);
    expect(s.push(Buffer.from('o\n\nthr'))).toEqual(['two']);
    expect(s.pendingBytes).toBe(3);
    expect(s.end()).toEqual(['thr']);
    expect(s.pendingBytes).toBe(0);
  });

  it('keeps multi-byte characters split across chunks whole', () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('grüße\n');
    expect(s.push(bytes.subarray(0, 3))).toEqual([]);
    expect(s.push(bytes.subarray(3))).toEqual(['grüße']);
  });
});

describe('output helpers', () => {
  it('finds the labels every stream shares', () => {
    expect(commonLabels([{ a: '1', b: '2' }, { a: '1', b: '3' }])).toEqual({ a: '1' });
    expect(commonLabels([{ a: '1' }])).toEqual({});
    expect(formatLabels({ b: 'x"y', a: '1' })).toBe('{a="1", b="x\\"y"}');
  });

  it('aligns table columns', () => {
    expect(table([['TIME', 'VALUE'], ['2024-05-01T08:00:00Z', '1'], ['t', '22']])).toBe(
      'TIME                  VALUE\n2024-05-01T08:00:00Z  1\nt                     22\n',
    );
  });
});

describe('LineClock', () => {
  it('gives strictly increasing nanosecond times close to now', () => {
    const c = new LineClock();
    let prev = c.next();
    expect(Number(prev / 1_000_000n) - Date.now()).toBeLessThan(1000);
    for (let i = 0; i < 10_000; i++) {
      const t = c.next();
      expect(t > prev).toBe(true);
      prev = t;
    }
  });
});

describe('demo workload', () => {
  const start = 1_714_550_400_000_000_000n;
  const run = (seed: number, n: number) => {
    const w = new DemoWorkload(seed);
    const traces = [];
    let t = start;
    for (let i = 0; i < n; i++) {
      traces.push(w.nextTrace(t));
      t += 1_000_000_000n;
    }
    return traces;
  };

  it('is deterministic for a seed and differs between seeds', () => {
    expect(run(5, 50)).toEqual(run(5, 50));
    expect(run(5, 5)[0].traceId).not.toBe(run(6, 5)[0].traceId);
  });

  it('starts with the incident and repeats it on its schedule', () => {
    const traces = run(11, 1800); // 30 minutes, one trace a second
    expect(traces[0].kind).toBe('incident');
    const incidents = traces.filter((t) => t.kind === 'incident');
    const everyMin = Number(DEFAULT_INCIDENT_EVERY_NS / 60_000_000_000n);
    expect(incidents.length).toBeGreaterThanOrEqual(Math.floor(30 / (everyMin * 1.2)));
    expect(incidents.length).toBeLessThanOrEqual(Math.ceil(30 / (everyMin * 0.8)) + 1);
    const kinds = new Set(traces.map((t) => t.kind));
    expect(kinds).toEqual(new Set(['incident', 'browse', 'checkout', 'declined', 'failure']));
  });

  it('writes an incident as a trace across services: payment captured, then the order failed', () => {
    const w = new DemoWorkload(3);
    const trace = w.nextTrace(start);
    const apps = trace.lines.map((l) => w.streams[l.stream].service);
    expect(new Set(apps)).toEqual(new Set(['gateway', 'order', 'inventory', 'payment', 'notification']));
    const msgs = trace.lines.map((l) => l.line);
    const captured = msgs.findIndex((l) => l.includes('msg="payment captured"'));
    const failed = msgs.findIndex((l) => l.includes('"msg":"order failed"'));
    expect(captured).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(captured);
    expect(msgs.every((l) => l.includes(trace.traceId) && l.includes('spanId'))).toBe(true);
    for (let i = 1; i < trace.lines.length; i++) expect(trace.lines[i].tsNs > trace.lines[i - 1].tsNs).toBe(true);
    // JSON services write JSON, logfmt services logfmt.
    for (const l of trace.lines) {
      const fmt = w.streams[l.stream].format;
      if (fmt === 'json') expect(() => JSON.parse(l.line)).not.toThrow();
      else expect(l.line).toMatch(/^ts=\S+ level=\w+ msg=/);
    }
  });

  it('quotes logfmt values only when needed', () => {
    expect(logfmtLine({ a: 'x', b: 'two words', c: 3, d: '', e: 'k=v', f: 'q"q' })).toBe(
      'a=x b="two words" c=3 d="" e="k=v" f="q\\"q"',
    );
  });
});
