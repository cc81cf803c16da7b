/**
 * The shape every compiled pipeline stage has, and the label-key rules parsers share.
 */
import type { Nanos } from '../../core/index.js';
import type { LabelsBuilder } from './labels.js';

/**
 * One compiled stage: takes the entry's line (and its labels through the builder) and returns
 * the line to pass on, or undefined to drop the entry. Stages are objects compiled once per
 * query; they keep no per-entry state beyond reusable scratch space.
 */
export interface Stage {
  process(ts: Nanos, line: string, labels: LabelsBuilder): string | undefined;
}

/**
 * Empties an array kept for reuse. V8 inlines `pop`, while assigning `length` is a runtime
 * call: about ten times slower for the few elements a per-entry buffer holds.
 */
export function clearArray(a: unknown[]): void {
  for (let n = a.length; n > 0; n--) a.pop();
}

/** Go's `unicode.IsSpace`. */
function isGoSpace(c: number): boolean {
  if (c <= 0xff) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

/** Go's `strings.TrimSpace`. */
export function goTrimSpace(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isGoSpace(s.charCodeAt(start))) start++;
  while (end > start && isGoSpace(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function isLabelChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x30 && c <= 0x39);
}

/**
 * Appends the sanitised form of a key: spaces trimmed, every code point outside
 * `[A-Za-z0-9_]` replaced by `_`, and `_` in front when it would start the name with a digit.
 */
export function appendSanitized(to: string, key: string): string {
  const k = goTrimSpace(key);
  if (k === '') return to;
  let out = to;
  const first = k.charCodeAt(0);
  if (to === '' && first >= 0x30 && first <= 0x39) out += '_';
  if (isCleanKey(k)) return out + k;
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (isLabelChar(c)) out += k[i];
    else {
      out += '_';
      // One `_` per code point: skip the low half of a surrogate pair.
      if (c >= 0xd800 && c <= 0xdbff) {
        const next = k.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) i++;
      }
    }
  }
  return out;
}

function isCleanKey(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (!isLabelChar(key.charCodeAt(i))) return false;
  return true;
}

/** Loki's `sanitizeLabelKey(key, true)`: empty when the key is only spaces. */
export function sanitizeLabelKey(key: string): string {
  const c0 = key.charCodeAt(0);
  if (isCleanKey(key) && !(c0 >= 0x30 && c0 <= 0x39)) return key;
  return appendSanitized('', key);
}

/** Interned sanitised keys, by raw key (bounded, like Loki's interned string set). */
export class KeyCache {
  private readonly map = new Map<string, string>();
  static readonly MAX = 1024;

  sanitized(raw: string): string {
    let k = this.map.get(raw);
    if (k === undefined) {
      k = sanitizeLabelKey(raw);
      if (this.map.size < KeyCache.MAX) this.map.set(raw, k);
    }
    return k;
  }
}
