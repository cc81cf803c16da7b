/**
 * Label sets: the identity of a stream. A `Labels` value is always sorted by name with no
 * duplicate names and no empty values; its canonical string (`{a="1", b="2"}`, Go-quoted values,
 * `, ` separator) is what Loki stores and prints, and what keys a stream everywhere here.
 */
import { LokiError } from './errors.js';

export interface LabelPair {
  name: string;
  value: string;
}

export type Labels = readonly LabelPair[];

export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function byName(a: LabelPair, b: LabelPair): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Sorts pairs by name and drops empty values; duplicates are left for the caller to report. */
export function normalizeLabels(pairs: LabelPair[]): LabelPair[] {
  return pairs.filter((p) => p.value !== '').sort(byName);
}

export function labelsFromRecord(record: Record<string, string>): Labels {
  return normalizeLabels(Object.entries(record).map(([name, value]) => ({ name, value })));
}

export function labelsToRecord(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of labels) out[l.name] = l.value;
  return out;
}

export function getLabel(labels: Labels, name: string): string | undefined {
  for (const l of labels) if (l.name === name) return l.value;
  return undefined;
}

/** Name of the first label that occurs twice in a sorted set, if any. */
export function duplicateLabelName(sorted: Labels): string | undefined {
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].name === sorted[i - 1].name) return sorted[i].name;
  }
  return undefined;
}

/** Go's strconv.Quote: the quoting Loki uses for label values in canonical strings. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c === 0xfffd && ch !== '\ufffd') out += '\\ufffd';
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd'; // lone surrogate: not valid UTF-8
    else out += ch;
  }
  return out + '"';
}

/** `{a="1", b="2"}` for a sorted set; `{}` for the empty set. */
export function canonicalLabels(labels: Labels): string {
  let out = '{';
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) out += ', ';
    out += labels[i].name + '=' + goQuote(labels[i].value);
  }
  return out + '}';
}

/**
 * Parses Prometheus metric-text label syntax (`{name="value", ...}`), as push clients send
 * it in `StreamAdapter.labels`. Returns the pairs in input order (not normalised). Throws a
 * `LokiError` whose message follows Loki's `couldn't parse labels: ...`.
 */
export function parseLabelString(input: string): LabelPair[] {
  const fail = (what: string): never => {
    throw new LokiError('bad_labels', `couldn't parse labels: ${what}`);
  };
  let i = 0;
  const n = input.length;
  const skipWs = () => {
    while (i < n && (input[i] === ' ' || input[i] === '\t' || input[i] === '\n' || input[i] === '\r')) i++;
  };
  skipWs();
  if (input[i] !== '{') fail(`1:${i + 1}: parse error: unexpected ${describe(input, i)}, expected "{"`);
  i++;
  const pairs: LabelPair[] = [];
  skipWs();
  if (input[i] === '}') {
    i++;
  } else {
    for (;;) {
      skipWs();
      const start = i;
      while (i < n && /[a-zA-Z0-9_]/.test(input[i])) i++;
      const name = input.slice(start, i);
      if (!LABEL_NAME_RE.test(name)) {
        fail(`1:${start + 1}: parse error: unexpected ${describe(input, start)}, expected label name`);
      }
      skipWs();
      if (input[i] !== '=') fail(`1:${i + 1}: parse error: unexpected ${describe(input, i)}, expected "="`);
      i++;
      skipWs();
      if (input[i] !== '"') fail(`1:${i + 1}: parse error: unexpected ${describe(input, i)}, expected label value`);
      const [value, next] = readGoString(input, i, fail);
      i = next;
      pairs.push({ name, value });
      skipWs();
      if (input[i] === ',') {
        i++;
        skipWs();
        if (input[i] === '}') { i++; break; }
        continue;
      }
      if (input[i] === '}') { i++; break; }
      fail(`1:${i + 1}: parse error: unexpected ${describe(input, i)}, expected "," or "}"`);
    }
  }
  skipWs();
  if (i < n) fail(`1:${i + 1}: parse error: unexpected ${describe(input, i)} after label set`);
  return pairs;
}

function describe(s: string, i: number): string {
  return i >= s.length ? 'end of input' : `character ${JSON.stringify(s[i])}`;
}

/** Reads a double-quoted Go string starting at `start` (the quote); returns [value, indexAfter]. */
function readGoString(s: string, start: number, fail: (what: string) => never): [string, number] {
  let i = start + 1;
  let out = '';
  while (i < s.length) {
    const ch = s[i];
    if (ch === '"') return [out, i + 1];
    if (ch === '\n') break;
    if (ch !== '\\') { out += ch; i++; continue; }
    const e = s[i + 1];
    i += 2;
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case "'": out += "'"; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case 'x': case 'u': case 'U': {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = s.slice(i, i + len);
        if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) fail(`1:${i}: invalid escape sequence in label value`);
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff) fail(`1:${i}: invalid escape sequence in label value`);
        out += String.fromCodePoint(cp);
        i += len;
        break;
      }
      default:
        fail(`1:${i}: invalid escape sequence in label value`);
    }
  }
  return fail(`1:${start + 1}: parse error: unterminated quoted string`);
}

/** Fast equality of two sorted label sets. */
export function labelsEqual(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].name !== b[i].name || a[i].value !== b[i].value) return false;
  }
  return true;
}
