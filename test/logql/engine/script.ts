/**
 * Parser of the LogQL test scripts under ./scripts (a format modelled on Prometheus' promql
 * test scripts). Times are Go durations after the fixed instant T0.
 *
 * ```
 * # comment
 * push {app="api", env="prod"}
 *   0s    first line
 *   30s   meta{trace="abc"} a line with structured metadata
 *   1m    "a JSON-quoted line, for leading/trailing spaces"
 *
 * eval instant at 1m count_over_time({app="api"}[1m])
 *   {app="api", env="prod"} 2
 * eval range from 0s to 2m step 30s rate({app="api"}[1m])
 *   {app="api", env="prod"} _ 0.0166667 0.0333333 _ _
 * eval logs from 0s to 5m limit 2 direction backward {app="api"}
 *   {app="api", env="prod"}
 *     1m   newest line
 *     30s  meta{trace="abc"} parsed{level="info"} older line
 * eval instant at 1m 1 + 1
 *   scalar 2
 * eval_fail instant at 1m sum(count_over_time({app="api"} | json [1m]))
 *   error_prefix pipeline error: 'JSONParserErr'
 * ```
 * An expected block that is empty (or the single word `empty`) means an empty result.
 * Values: numbers, `NaN`, `+Inf`, `-Inf`; `_` is a step without a point.
 */
import { type LabelPair, type Labels, parseGoDuration, parseLabelString } from '../../../src/core/index.js';

/** 2024-05-01T00:00:00Z: every script time is relative to it. */
export const T0 = 1_714_521_600_000_000_000n;

export interface PushEntry {
  ts: bigint;
  line: string;
  metadata: Record<string, string>;
}

export interface PushBlock {
  labels: string;
  entries: PushEntry[];
}

export interface ExpectedEntry {
  ts: bigint;
  line: string;
  /** Compared only when the script gives them. */
  metadata?: Labels;
  parsed?: Labels;
}

export type Expected =
  | { kind: 'vector'; samples: { labels: Labels; value: number }[] }
  | { kind: 'scalar'; value: number }
  | { kind: 'matrix'; series: { labels: Labels; values: (number | undefined)[] }[] }
  | { kind: 'streams'; streams: { labels: Labels; entries: ExpectedEntry[] }[] }
  | { kind: 'error'; message: string; prefix: boolean };

export interface EvalCommand {
  /** `file:line` of the eval, for failure messages. */
  where: string;
  mode: 'instant' | 'range' | 'logs';
  query: string;
  start: bigint;
  end: bigint;
  step: bigint;
  limit: number;
  direction: 'forward' | 'backward';
  interval: bigint;
  expected: Expected;
}

export interface Script {
  pushes: PushBlock[];
  evals: EvalCommand[];
}

function fail(where: string, msg: string): never {
  throw new Error(`${where}: ${msg}`);
}

export function parseTime(s: string, where: string): bigint {
  const d = parseGoDuration(s);
  if (d === undefined) fail(where, `bad time ${JSON.stringify(s)}`);
  return T0 + d;
}

function parseDuration(s: string, where: string): bigint {
  const d = parseGoDuration(s);
  if (d === undefined) fail(where, `bad duration ${JSON.stringify(s)}`);
  return d;
}

/** Splits `{...}` (quotes respected) off the front of `s`. */
function takeBraces(s: string, where: string): [string, string] {
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '}') return [s.slice(0, i + 1), s.slice(i + 1).trimStart()];
  }
  fail(where, `unterminated label set in ${JSON.stringify(s)}`);
}

/** A label set as written: sorted, empty values kept (pipelines can produce them, spec §10.8). */
export function parseLabels(text: string, where: string): Labels {
  try {
    return parseLabelString(text).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    fail(where, `bad labels ${text}: ${(e as Error).message}`);
  }
}

function parseValue(s: string, where: string): number {
  if (s === 'NaN') return NaN;
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  const v = Number(s);
  if (s === '' || Number.isNaN(v)) fail(where, `bad value ${JSON.stringify(s)}`);
  return v;
}

/** `[meta{...}] [parsed{...}] line` → its parts; a line starting with `"` is JSON-quoted. */
function parseEntryRest(rest: string, where: string): { line: string; metadata?: Labels; parsed?: Labels } {
  let metadata: Labels | undefined;
  let parsed: Labels | undefined;
  for (;;) {
    if (rest.startsWith('meta{')) {
      const [braces, after] = takeBraces(rest.slice(4), where);
      metadata = parseLabels(braces, where);
      rest = after;
    } else if (rest.startsWith('parsed{')) {
      const [braces, after] = takeBraces(rest.slice(6), where);
      parsed = parseLabels(braces, where);
      rest = after;
    } else break;
  }
  const line = rest.startsWith('"') ? (JSON.parse(rest) as string) : rest;
  return { line, metadata, parsed };
}

function splitFirst(s: string): [string, string] {
  const m = /^(\S+)\s*(.*)$/s.exec(s);
  return m ? [m[1], m[2]] : ['', ''];
}

export function parseScript(text: string, file: string): Script {
  const lines = text.split('\n');
  const script: Script = { pushes: [], evals: [] };
  let i = 0;
  const indented = (l: string | undefined) => l !== undefined && /^\s+\S/.test(l) && !/^\s+#/.test(l);
  /** The indented lines after line i (comments and blank lines skipped), with their numbers. */
  const block = (): [string, number][] => {
    const out: [string, number][] = [];
    while (i < lines.length) {
      const l = lines[i];
      if (l.trim() === '' || /^\s+#/.test(l)) {
        i++;
        continue;
      }
      if (!indented(l)) break;
      out.push([l, i + 1]);
      i++;
    }
    return out;
  };
  while (i < lines.length) {
    const raw = lines[i];
    const where = `${file}:${i + 1}`;
    i++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (indented(raw)) fail(where, 'indented line outside a block');
    const [cmd, rest] = splitFirst(line);
    if (cmd === 'push') {
      const labels = rest;
      const entries: PushEntry[] = [];
      for (const [l, n] of block()) {
        const w = `${file}:${n}`;
        const [time, after] = splitFirst(l.trim());
        const e = parseEntryRest(after, w);
        const metadata: Record<string, string> = {};
        for (const p of e.metadata ?? []) metadata[p.name] = p.value;
        entries.push({ ts: parseTime(time, w), line: e.line, metadata });
      }
      script.pushes.push({ labels, entries });
      continue;
    }
    if (cmd !== 'eval' && cmd !== 'eval_fail') fail(where, `unknown command ${cmd}`);
    script.evals.push(parseEval(cmd === 'eval_fail', rest, where, block(), file));
  }
  return script;
}

function parseEval(failing: boolean, text: string, where: string, body: [string, number][], file: string): EvalCommand {
  const [mode, afterMode] = splitFirst(text);
  if (mode !== 'instant' && mode !== 'range' && mode !== 'logs') fail(where, `unknown eval mode ${mode}`);
  const cmd: EvalCommand = {
    where, mode, query: '', start: T0, end: T0, step: 0n, limit: 100, direction: 'backward', interval: 0n,
    expected: { kind: 'vector', samples: [] },
  };
  let rest = afterMode;
  const options = new Set(['at', 'from', 'to', 'step', 'limit', 'direction', 'interval']);
  for (;;) {
    const [key, afterKey] = splitFirst(rest);
    if (!options.has(key)) break;
    const [value, afterValue] = splitFirst(afterKey);
    rest = afterValue;
    switch (key) {
      case 'at': cmd.start = cmd.end = parseTime(value, where); break;
      case 'from': cmd.start = parseTime(value, where); break;
      case 'to': cmd.end = parseTime(value, where); break;
      case 'step': cmd.step = parseDuration(value, where); break;
      case 'limit': cmd.limit = Number(value); break;
      case 'direction':
        if (value !== 'forward' && value !== 'backward') fail(where, `bad direction ${value}`);
        cmd.direction = value;
        break;
      case 'interval': cmd.interval = parseDuration(value, where); break;
    }
  }
  cmd.query = rest;
  if (mode === 'range' && cmd.step <= 0n) fail(where, 'range eval needs a step');
  const lines = body.map(([l, n]) => [l.trim(), `${file}:${n}`] as const).filter(([l]) => l !== 'empty');
  if (failing) {
    const [l, w] = lines[0] ?? fail(where, 'eval_fail needs an error line');
    const [kind, message] = splitFirst(l);
    if (kind !== 'error' && kind !== 'error_prefix') fail(w, 'expected `error <message>` or `error_prefix <text>`');
    cmd.expected = { kind: 'error', message, prefix: kind === 'error_prefix' };
    return cmd;
  }
  if (mode === 'logs') {
    const streams: { labels: Labels; entries: ExpectedEntry[] }[] = [];
    for (const [l, w] of lines) {
      if (l.startsWith('{')) {
        streams.push({ labels: parseLabels(l, w), entries: [] });
        continue;
      }
      const current = streams[streams.length - 1] ?? fail(w, 'entry before any stream header');
      const [time, after] = splitFirst(l);
      current.entries.push({ ts: parseTime(time, w), ...parseEntryRest(after, w) });
    }
    cmd.expected = { kind: 'streams', streams };
    return cmd;
  }
  if (lines.length === 1 && lines[0][0].startsWith('scalar ')) {
    cmd.expected = { kind: 'scalar', value: parseValue(lines[0][0].slice(7).trim(), lines[0][1]) };
    return cmd;
  }
  if (mode === 'instant') {
    const samples = lines.map(([l, w]) => {
      const [braces, value] = takeBraces(l, w);
      return { labels: parseLabels(braces, w), value: parseValue(value.trim(), w) };
    });
    cmd.expected = { kind: 'vector', samples };
    return cmd;
  }
  const steps = Number((cmd.end - cmd.start) / cmd.step) + 1;
  const series = lines.map(([l, w]) => {
    const [braces, rest2] = takeBraces(l, w);
    const values = rest2.split(/\s+/).filter((v) => v !== '').map((v) => (v === '_' ? undefined : parseValue(v, w)));
    if (values.length !== steps) fail(w, `expected ${steps} values (one per step), got ${values.length}`);
    return { labels: parseLabels(braces, w), values };
  });
  cmd.expected = { kind: 'matrix', series };
  return cmd;
}

export function labelsText(labels: readonly LabelPair[]): string {
  return `{${labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ')}}`;
}
